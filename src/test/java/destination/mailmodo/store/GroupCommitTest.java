package destination.mailmodo.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import destination.mailmodo.event.Outcome;
import destination.mailmodo.store.ProcessedMessages.Claim;
import destination.mailmodo.store.ProcessedMessages.Claimed;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded store's group commit on a real SQLite file: one writer, operations durable when they return. */
class GroupCommitTest {

    @TempDir
    Path dataDir;

    @BeforeEach
    void migrate() {
        SqliteFile.migrate(dataDir);
    }

    private static long count(Connection connection, String sql) throws SQLException {
        try (ResultSet rows = connection.createStatement().executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    @Test
    void concurrentClaimsEachWinOnceAndAreOnDiskWhenTheyReturn() throws Exception {
        GroupCommit store = new GroupCommit(SqliteFile.open(dataDir));
        ProcessedMessages keys = new ProcessedMessages(store, Duration.ofHours(24), Duration.ofSeconds(30));
        ExecutorService threads = Executors.newFixedThreadPool(16);
        List<Future<Claim>> claims = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int i = 0; i < 400; i++) {
            String messageId = "m-" + (i % 40); // ten racing claims per messageId
            claims.add(threads.submit(() -> {
                start.await();
                Claim claim = keys.claim("t", messageId);
                if (claim instanceof Claimed) {
                    keys.complete("t", messageId, Outcome.delivered());
                }
                return claim;
            }));
        }
        start.countDown();
        long won = 0;
        for (Future<Claim> claim : claims) {
            won += claim.get() instanceof Claimed ? 1 : 0;
        }
        threads.shutdown();
        assertEquals(40, won, "each messageId claimed exactly once");

        // a separate connection (another process would see the same) finds them committed, before any close
        try (Connection other = SqliteFile.open(dataDir).getConnection()) {
            assertEquals(40, count(other, "SELECT COUNT(*) FROM processed_message WHERE state = 'done'"));
        }
        store.close();
    }

    @Test
    void operationsOfOneBorrowingShareACommitAndReadsSeeTheirOwnWrites() throws Exception {
        GroupCommit store = new GroupCommit(SqliteFile.open(dataDir));
        ProcessedMessages keys = new ProcessedMessages(store, Duration.ofHours(24), Duration.ofSeconds(30));
        try (Connection held = store.getConnection()) {
            for (int i = 0; i < 5; i++) {
                assertInstanceOf(Claimed.class, keys.claim("t", "batch-" + i));
            }
            // not committed yet: another connection does not see them, this one does
            try (Connection other = SqliteFile.open(dataDir).getConnection()) {
                assertEquals(0, count(other, "SELECT COUNT(*) FROM processed_message"));
            }
            assertEquals(5, count(held, "SELECT COUNT(*) FROM processed_message"));
        }
        try (Connection other = SqliteFile.open(dataDir).getConnection()) {
            assertEquals(5, count(other, "SELECT COUNT(*) FROM processed_message"), "committed when the borrowing ended");
        }
        store.close();
    }

    @Test
    void aReturnedConnectionCannotBeUsedAndCommitIsTheStoresOwn() throws Exception {
        GroupCommit store = new GroupCommit(SqliteFile.open(dataDir));
        Connection borrowed = store.getConnection();
        borrowed.commit(); // ignored: the committer commits
        assertThrows(SQLException.class, borrowed::rollback);
        borrowed.close();
        assertTrue(borrowed.isClosed());
        assertThrows(SQLException.class, () -> borrowed.createStatement());
        store.close();
    }

    @Test
    void submittedOperationsRaceBorrowersAndCompleteOnlyOnceOnDisk() throws Exception {
        GroupCommit store = new GroupCommit(SqliteFile.open(dataDir));
        ProcessedMessages keys = new ProcessedMessages(store, Duration.ofHours(24), Duration.ofSeconds(30));
        ExecutorService borrowers = Executors.newFixedThreadPool(4);
        List<Future<Claim>> borrowed = new ArrayList<>();
        List<CompletableFuture<Boolean>> submitted = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String messageId = "m-" + (i % 20); // ten racing claims per messageId, half submitted, half borrowing
            if (i % 2 == 0) {
                // what a waiter sees when its future completes: the claim already visible to another connection
                submitted.add(store.submit(keys.claimOperation("t", messageId, false)).thenApply(claim -> {
                    if (claim instanceof Claimed) {
                        try (Connection other = SqliteFile.open(dataDir).getConnection()) {
                            assertEquals(1, count(other, "SELECT COUNT(*) FROM processed_message WHERE message_id = '" + messageId + "'"));
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                        return true;
                    }
                    return false;
                }));
            } else {
                borrowed.add(borrowers.submit(() -> keys.claim("t", messageId)));
            }
        }
        long won = 0;
        for (CompletableFuture<Boolean> claim : submitted) {
            won += claim.get(10, TimeUnit.SECONDS) ? 1 : 0;
        }
        for (Future<Claim> claim : borrowed) {
            won += claim.get() instanceof Claimed ? 1 : 0;
        }
        borrowers.shutdown();
        assertEquals(20, won, "each messageId claimed exactly once, submitted or borrowing");
        store.close();
    }

    @Test
    void aFailedSubmittedOperationFailsAloneAsStoreUnavailable() throws Exception {
        GroupCommit store = new GroupCommit(SqliteFile.open(dataDir));
        ProcessedMessages keys = new ProcessedMessages(store, Duration.ofHours(24), Duration.ofSeconds(30));
        CompletableFuture<Integer> broken = store.submit(connection -> connection.createStatement().executeUpdate("INSERT INTO no_such_table VALUES (1)"));
        CompletableFuture<Claim> fine = store.submit(keys.claimOperation("t", "after-broken", false));
        CompletionException failed = assertThrows(CompletionException.class, broken::join);
        assertInstanceOf(StoreUnavailable.class, failed.getCause());
        assertInstanceOf(Claimed.class, fine.get(10, TimeUnit.SECONDS));
        store.close();
    }

    @Test
    void aSubmissionAfterCloseFailsAtOnce() throws Exception {
        GroupCommit store = new GroupCommit(SqliteFile.open(dataDir));
        store.close();
        CompletableFuture<Integer> late = store.submit(connection -> 1);
        assertInstanceOf(StoreUnavailable.class, assertThrows(CompletionException.class, late::join).getCause());
    }

    @Test
    void aSubmittedOperationThatBorrowsAgainFailsAtOnceInsteadOfWaitingForItself() throws Exception {
        GroupCommit store = new GroupCommit(SqliteFile.open(dataDir));
        long started = System.nanoTime();
        CompletableFuture<Integer> reentrant = store.submit(connection -> {
            try (Connection again = store.getConnection()) {
                return 1;
            }
        });
        assertInstanceOf(StoreUnavailable.class, assertThrows(CompletionException.class, reentrant::join).getCause());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(1), "failed at once, not after a commit wait");
        assertInstanceOf(Claimed.class, store.submit(new ProcessedMessages(store, Duration.ofHours(24), Duration.ofSeconds(30))
                .claimOperation("t", "after-reentrant", false)).get(10, TimeUnit.SECONDS), "the committer goes on");
        store.close();
    }

    @Test
    void aWriteThroughAKeptStatementStillReturnsOnlyOnceOnDisk() throws Exception {
        GroupCommit store = new GroupCommit(SqliteFile.open(dataDir));
        ProcessedMessages keys = new ProcessedMessages(store, Duration.ofHours(24), Duration.ofSeconds(30));
        try (Connection other = SqliteFile.open(dataDir).getConnection()) {
            for (int i = 0; i < 5; i++) { // the first claim prepares the INSERT, the others reuse it
                assertInstanceOf(Claimed.class, keys.claim("t", "kept-" + i));
                assertEquals(1, count(other, "SELECT COUNT(*) FROM processed_message WHERE message_id = 'kept-" + i + "'"),
                        "claim " + i + " committed when it returned");
                keys.complete("t", "kept-" + i, Outcome.delivered());
                assertEquals(1, count(other, "SELECT COUNT(*) FROM processed_message WHERE message_id = 'kept-" + i + "' AND state = 'done'"),
                        "outcome " + i + " committed when it returned");
            }
        }
        store.close();
    }
}
