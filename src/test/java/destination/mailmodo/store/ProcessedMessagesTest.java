package destination.mailmodo.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import destination.mailmodo.event.Outcome;
import destination.mailmodo.store.ProcessedMessages.AlreadyDone;
import destination.mailmodo.store.ProcessedMessages.Claimed;
import destination.mailmodo.store.ProcessedMessages.InFlight;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** Dedupe keys on a real SQLite file with the production migrations and SQL. */
class ProcessedMessagesTest {

    @TempDir
    Path dataDir;

    private SQLiteDataSource open() {
        return SqliteFile.open(dataDir);
    }

    private ProcessedMessages keys(Duration ttl, Duration lease) {
        return new ProcessedMessages(open(), ttl, lease);
    }

    @BeforeEach
    void migrate() {
        SqliteFile.migrate(dataDir);
    }

    @Test
    void outcomeSurvivesReopeningTheFile() {
        ProcessedMessages before = keys(Duration.ofHours(24), Duration.ofSeconds(30));
        assertInstanceOf(Claimed.class, before.claim("t", "m1"));
        before.complete("t", "m1", Outcome.rejected("mailmodo_rejected", "Mailmodo rejected the event: bad"));

        ProcessedMessages after = keys(Duration.ofHours(24), Duration.ofSeconds(30));
        AlreadyDone done = assertInstanceOf(AlreadyDone.class, after.claim("t", "m1"));
        assertEquals(new Outcome(400, "rejected", "mailmodo_rejected", "Mailmodo rejected the event: bad", null), done.outcome());
    }

    @Test
    void inFlightUntilTheLeaseExpiresThenTakenOver() throws Exception {
        ProcessedMessages keys = keys(Duration.ofHours(24), Duration.ofMillis(300));
        assertInstanceOf(Claimed.class, keys.claim("t", "m2"));
        assertInstanceOf(InFlight.class, keys.claim("t", "m2"));
        Thread.sleep(400);
        assertInstanceOf(Claimed.class, keys.claim("t", "m2"));
    }

    @Test
    void releasedClaimCanBeClaimedAgain() {
        ProcessedMessages keys = keys(Duration.ofHours(24), Duration.ofSeconds(30));
        assertInstanceOf(Claimed.class, keys.claim("t", "m3"));
        keys.release("t", "m3");
        assertInstanceOf(Claimed.class, keys.claim("t", "m3"));
    }

    /** A release that comes late (the store was away) never drops the claim another attempt took over since. */
    @Test
    void aLateReleaseLeavesAClaimTakenOverSince() throws Exception {
        ProcessedMessages keys = keys(Duration.ofHours(24), Duration.ofMillis(300));
        Claimed first = assertInstanceOf(Claimed.class, keys.claim("t", "m5"));
        Thread.sleep(400);
        Claimed takenOver = assertInstanceOf(Claimed.class, keys.claim("t", "m5"));
        keys.release("t", "m5", first.leaseUntil());
        assertInstanceOf(InFlight.class, keys.claim("t", "m5"), "the second attempt still holds the key");
        keys.release("t", "m5", takenOver.leaseUntil());
        assertInstanceOf(Claimed.class, keys.claim("t", "m5"));
    }

    @Test
    void keysAreForgottenAfterTheTtlAndPurged() throws Exception {
        ProcessedMessages keys = keys(Duration.ofMillis(300), Duration.ofSeconds(30));
        keys.claim("t", "old");
        keys.complete("t", "old", Outcome.delivered());
        keys.claim("t", "old-2");
        keys.complete("t", "old-2", Outcome.delivered());
        Thread.sleep(400);
        assertInstanceOf(Claimed.class, keys.claim("t", "old"), "an expired key not yet purged is taken over");
        assertEquals(1, keys.purgeExpired(), "old-2 purged; old was renewed by its new claim");
        assertInstanceOf(Claimed.class, keys.claim("t", "old-2"));
    }

    @Test
    void tenantsAreSeparate() {
        ProcessedMessages keys = keys(Duration.ofHours(24), Duration.ofSeconds(30));
        keys.claim("a", "same");
        keys.complete("a", "same", Outcome.delivered());
        assertInstanceOf(Claimed.class, keys.claim("b", "same"));
    }

    @Test
    void concurrentClaimsHaveOneWinner() throws Exception {
        ProcessedMessages keys = keys(Duration.ofHours(24), Duration.ofSeconds(30));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ProcessedMessages.Claim>> claims = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                claims.add(pool.submit(() -> keys.claim("t", "race")));
            }
            int winners = 0;
            for (Future<ProcessedMessages.Claim> claim : claims) {
                if (claim.get() instanceof Claimed) {
                    winners++;
                } else {
                    assertInstanceOf(InFlight.class, claim.get());
                }
            }
            assertEquals(1, winners);
        } finally {
            pool.shutdownNow();
        }
    }
}
