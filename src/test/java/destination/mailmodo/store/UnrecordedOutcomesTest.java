package destination.mailmodo.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.segment.Deduplication;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/**
 * Outcomes decided while the store refuses writes (another process holds the SQLite file's write lock): kept in
 * memory, answering redeliveries meanwhile, and on disk shortly after the lock is gone.
 */
class UnrecordedOutcomesTest {

    @TempDir
    Path dataDir;

    private SQLiteDataSource store;
    private ProcessedMessages keys;
    private UnrecordedOutcomes unrecorded;
    private Deduplication dedupe;

    @BeforeEach
    void open() {
        SqliteFile.migrate(dataDir);
        store = new SQLiteDataSource();
        // a locked file is refused after 50 ms, as the real store refuses after its busy timeout
        store.setUrl("jdbc:sqlite:" + dataDir.resolve("mailmodo-destination.db"));
        store.setBusyTimeout(50);
        keys = new ProcessedMessages(store, Duration.ofHours(24), Duration.ofSeconds(30));
        unrecorded = new UnrecordedOutcomes(Duration.ofSeconds(1)); // retried every 100 ms
        dedupe = new Deduplication(keys, unrecorded);
    }

    private Connection lock() throws Exception {
        Connection other = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("mailmodo-destination.db"));
        try (Statement statement = other.createStatement()) {
            statement.execute("BEGIN EXCLUSIVE");
        }
        return other;
    }

    private void awaitRecorded() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 3000;
        while (unrecorded.size() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, unrecorded.size(), "everything kept was written once the store answered");
    }

    /** What a fresh reader of the file sees: nothing kept in memory. */
    private ProcessedMessages.Claim onDisk(String messageId) {
        SQLiteDataSource fresh = SqliteFile.open(dataDir);
        return new ProcessedMessages(fresh, Duration.ofHours(24), Duration.ofSeconds(30)).claim("t", messageId);
    }

    @Test
    void aDeliveredOutcomeTheStoreRefusedAnswersRedeliveriesAndIsWrittenOnceItAnswers() throws Exception {
        assertEquals(Optional.empty(), dedupe.claim("t", "m1"));
        try (Connection held = lock()) {
            dedupe.settle("t", "m1", Outcome.delivered()); // never throws: the event's fate is decided
            assertEquals(1, unrecorded.size());
            Outcome redelivery = dedupe.claim("t", "m1").orElseThrow();
            assertEquals(200, redelivery.httpStatus());
            assertEquals("duplicate", redelivery.status());
            Thread.sleep(300); // retried meanwhile, still refused
            assertEquals(1, unrecorded.size());
            held.createStatement().execute("ROLLBACK");
        }
        awaitRecorded();
        ProcessedMessages.AlreadyDone done = assertInstanceOf(ProcessedMessages.AlreadyDone.class, onDisk("m1"));
        assertEquals(200, done.outcome().httpStatus());
    }

    @Test
    void aDroppedClaimTheStoreRefusedIsWrittenBeforeTheRedeliveryClaimsAgain() throws Exception {
        assertEquals(Optional.empty(), dedupe.claim("t", "m2"));
        try (Connection held = lock()) {
            dedupe.settle("t", "m2", Outcome.retry("timeout", "Mailmodo did not answer in time", 2));
            assertEquals(1, unrecorded.size());
            // the redelivery cannot be decided while the claim still stands in the store: the sender retries
            assertThrows(StoreUnavailable.class, () -> dedupe.claim("t", "m2"));
            held.createStatement().execute("ROLLBACK");
        }
        // the store answers: the dropped claim is written first, and this redelivery holds the key now
        assertEquals(Optional.empty(), dedupe.claim("t", "m2"));
        assertEquals(0, unrecorded.size());
        assertInstanceOf(ProcessedMessages.InFlight.class, onDisk("m2"));
    }

    @Test
    void aContactLearnedWhileTheStoreRefusesIsUsedAndThenRecorded() throws Exception {
        KnownContacts contacts = new KnownContacts(store, unrecorded);
        ObjectNode json = new ObjectMapper().createObjectNode().put("type", "identify").put("timestamp", "2026-01-02T00:00:00Z");
        SegmentEvent identify = new SegmentEvent(0, json, "identify", "m3", "u3", "a3", false);
        contacts.learn("t", "u3", null, "old@example.com", java.time.Instant.parse("2026-01-01T00:00:00Z"));
        try (Connection held = lock()) {
            contacts.learnFromIdentify(identify, new TenantKey("k", "t"), "new@example.com");
            assertEquals(2, unrecorded.size(), "userId and anonymousId");
            // the store still has the older email; the newer one learned here is used
            assertEquals(Optional.of("new@example.com"), contacts.emailOf("t", "u3", null));
            assertEquals(Optional.of("new@example.com"), contacts.emailOf("t", null, "a3"));
            held.createStatement().execute("ROLLBACK");
        }
        awaitRecorded();
        KnownContacts fresh = new KnownContacts(SqliteFile.open(dataDir), new UnrecordedOutcomes(Duration.ofSeconds(30)));
        assertEquals(Optional.of("new@example.com"), fresh.emailOf("t", "u3", null));
        assertEquals(Optional.of("new@example.com"), fresh.emailOf("t", null, "a3"));
    }

    @Test
    void writesSharingACommitAreKeptWhenTheStoreRefusesThem() throws Exception {
        GroupCommit group = new GroupCommit(store);
        try {
            ProcessedMessages grouped = new ProcessedMessages(group, Duration.ofHours(24), Duration.ofSeconds(30));
            Deduplication groupedDedupe = new Deduplication(grouped, unrecorded);
            Store shared = new Store(group);
            assertEquals(Optional.empty(), groupedDedupe.claim("t", "m4"));
            assertEquals(Optional.empty(), groupedDedupe.claim("t", "m5"));
            try (Connection held = lock()) {
                try {
                    unrecorded.inOneCommit(shared, () -> {
                        groupedDedupe.settle("t", "m4", Outcome.delivered());
                        groupedDedupe.settle("t", "m5", Outcome.delivered());
                        return null;
                    });
                } catch (StoreUnavailable commitFailed) {
                    // the statements or their shared commit were refused: either way nothing may be lost
                }
                assertTrue(unrecorded.size() >= 2, "both outcomes wait: " + unrecorded.size());
                assertEquals("duplicate", groupedDedupe.claim("t", "m4").orElseThrow().status());
                held.createStatement().execute("ROLLBACK");
            }
            awaitRecorded();
        } finally {
            group.close();
        }
        assertInstanceOf(ProcessedMessages.AlreadyDone.class, onDisk("m4"));
        assertInstanceOf(ProcessedMessages.AlreadyDone.class, onDisk("m5"));
    }

    @Test
    void anOlderContactWrittenDirectlyDoesNotDropANewerOneThatWaits() throws Exception {
        UnrecordedOutcomes slowRetries = new UnrecordedOutcomes(Duration.ofSeconds(30)); // retried every 250 ms
        KnownContacts contacts = new KnownContacts(store, slowRetries);
        ObjectMapper json = new ObjectMapper();
        SegmentEvent newer = new SegmentEvent(0, json.createObjectNode().put("timestamp", "2026-02-01T00:00:00Z"), "identify", "n",
                "u5", null, false);
        SegmentEvent older = new SegmentEvent(0, json.createObjectNode().put("timestamp", "2026-01-01T00:00:00Z"), "identify", "o",
                "u5", null, false);
        try (Connection held = lock()) {
            contacts.learnFromIdentify(newer, new TenantKey("k", "t"), "newer@example.com");
            held.createStatement().execute("ROLLBACK");
        }
        // a late redelivery of an older identify is recorded before the writer retries the newer one
        contacts.learnFromIdentify(older, new TenantKey("k", "t"), "older@example.com");
        assertEquals(1, slowRetries.size(), "the newer contact still waits");
        assertEquals(Optional.of("newer@example.com"), contacts.emailOf("t", "u5", null));
        long deadline = System.currentTimeMillis() + 3000;
        while (slowRetries.size() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        KnownContacts fresh = new KnownContacts(SqliteFile.open(dataDir), new UnrecordedOutcomes(Duration.ofSeconds(30)));
        assertEquals(Optional.of("newer@example.com"), fresh.emailOf("t", "u5", null));
    }

    /** A write the store refuses with this SQL state. */
    private static UnrecordedOutcomes.Pending refusedWith(String sqlState) {
        return new UnrecordedOutcomes.Pending() {
            @Override
            public void write() {
                throw new StoreUnavailable(new java.sql.SQLException("refused", sqlState));
            }

            @Override
            public AsyncStore.Operation<?> operation() {
                return connection -> {
                    throw new java.sql.SQLException("refused", sqlState);
                };
            }

            @Override
            public String describe() {
                return "dedupe key tenant=t messageId=m";
            }
        };
    }

    @Test
    void aWriteTheStoreRefusesForGoodIsNotKept() {
        // 54000: PostgreSQL's "index row size exceeds maximum" for an id longer than a btree row: retrying never helps
        unrecorded.record("impossible", refusedWith("54000"));
        assertEquals(0, unrecorded.size(), "not kept: readiness would stay DOWN forever");
        // 57P03: the database is shutting down: retried until it answers
        unrecorded.record("down", refusedWith("57P03"));
        assertEquals(1, unrecorded.size(), "a store that is down is retried");
    }
}
