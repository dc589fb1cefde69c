package destination.mailmodo.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The embedded known-contact store on a real SQLite file, with the production migration and SQL. */
class KnownContactsTest {

    @TempDir
    Path dataDir;

    @BeforeEach
    void migrate() {
        SqliteFile.migrate(dataDir);
    }

    private SQLiteDataSource open() {
        return SqliteFile.open(dataDir);
    }

    @Test
    void contactsSurviveClosingAndReopeningTheFile() throws Exception {
        KnownContacts before = new KnownContacts(open(), new UnrecordedOutcomes(java.time.Duration.ofSeconds(30)));
        before.learn("tenant-a", "u1", "anon-1", "one@example.com", Instant.parse("2026-01-01T00:00:00Z"));

        // a new data source on the same file: nothing kept in memory, only what reached the file
        KnownContacts after = new KnownContacts(open(), new UnrecordedOutcomes(java.time.Duration.ofSeconds(30)));
        assertEquals(Optional.of("one@example.com"), after.emailOf("tenant-a", "u1", null));
        assertEquals(Optional.of("one@example.com"), after.emailOf("tenant-a", null, "anon-1"));
        assertEquals(Optional.of("one@example.com"), after.emailOfUser("tenant-a", "u1"));
    }

    @Test
    void anUnreachableStoreIsRetryableNotAnInternalError() {
        SQLiteDataSource nowhere = new SQLiteDataSource();
        nowhere.setUrl("jdbc:sqlite:" + dataDir.resolve("missing-dir").resolve("x.db"));
        KnownContacts contacts = new KnownContacts(nowhere, new UnrecordedOutcomes(java.time.Duration.ofSeconds(30)));
        StoreUnavailable down = assertThrows(StoreUnavailable.class, () -> contacts.emailOfUser("t", "u1"));
        assertEquals(503, down.outcome().httpStatus());
        assertEquals("store_unavailable", down.outcome().reason());
        assertThrows(StoreUnavailable.class, () -> contacts.learn("t", "u1", null, "a@example.com", Instant.EPOCH));
    }

    @Test
    void newestIdentifyByEventTimeWins() {
        KnownContacts contacts = new KnownContacts(open(), new UnrecordedOutcomes(java.time.Duration.ofSeconds(30)));
        contacts.learn("t", "u1", null, "new@example.com", Instant.parse("2026-03-01T00:00:00Z"));
        contacts.learn("t", "u1", null, "old@example.com", Instant.parse("2026-02-01T00:00:00Z"));
        assertEquals(Optional.of("new@example.com"), contacts.emailOfUser("t", "u1"));
        contacts.learn("t", "u1", null, "newer@example.com", Instant.parse("2026-04-01T00:00:00Z"));
        assertEquals(Optional.of("newer@example.com"), contacts.emailOfUser("t", "u1"));
    }

    @Test
    void tenantsAndIdKindsAreSeparate() {
        KnownContacts contacts = new KnownContacts(open(), new UnrecordedOutcomes(java.time.Duration.ofSeconds(30)));
        contacts.learn("tenant-a", "same", null, "a@example.com", Instant.EPOCH);
        contacts.learn("tenant-b", null, "same", "b@example.com", Instant.EPOCH);
        assertEquals(Optional.of("a@example.com"), contacts.emailOf("tenant-a", "same", "same"));
        assertEquals(Optional.empty(), contacts.emailOfUser("tenant-b", "same"));
        assertEquals(Optional.of("b@example.com"), contacts.emailOf("tenant-b", "same", "same"));
        assertEquals(Optional.empty(), contacts.emailOf("tenant-c", "same", "same"));
    }

    @Test
    void userIdWinsOverAnonymousId() {
        KnownContacts contacts = new KnownContacts(open(), new UnrecordedOutcomes(java.time.Duration.ofSeconds(30)));
        contacts.learn("t", "u9", null, "user@example.com", Instant.EPOCH);
        contacts.learn("t", null, "a9", "anon@example.com", Instant.EPOCH);
        assertEquals(Optional.of("user@example.com"), contacts.emailOf("t", "u9", "a9"));
        assertEquals(Optional.of("anon@example.com"), contacts.emailOf("t", "unknown", "a9"));
    }

    /** The route step's lookup (off the event loop it runs in place), with the cache on. */
    private static Optional<String> lookup(KnownContacts contacts, String userId, String anonymousId) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        AtomicReference<Optional<String>> found = new AtomicReference<>();
        boolean inPlace = contacts.emailOf(exchange, doneSync -> { }, "t", userId, anonymousId, (done, email) -> found.set(email));
        assertEquals(true, inPlace);
        if (exchange.getException() != null) {
            throw new IllegalStateException(exchange.getException());
        }
        return found.get();
    }

    private KnownContacts cached(GroupCommit groupCommit, Duration ttl) {
        Store store = new Store(groupCommit);
        return new KnownContacts(store, new UnrecordedOutcomes(Duration.ofSeconds(30)), new AsyncStore(store, null), new StoreWork(), // off the event loop: no budget needed
                Optional.of(ttl), 1000);
    }

    private void deleteAllRows() throws Exception {
        try (Connection other = open().getConnection()) {
            other.createStatement().executeUpdate("DELETE FROM known_contact");
        }
    }

    @Test
    void theCacheKeepsTheNewestEmailOfACachedUser() throws Exception {
        GroupCommit groupCommit = new GroupCommit(open());
        KnownContacts contacts = cached(groupCommit, Duration.ofMinutes(10));
        contacts.learn("t", "u1", "anon-1", "first@example.com", Instant.parse("2026-03-01T00:00:00Z"));
        assertEquals(Optional.of("first@example.com"), lookup(contacts, "u1", null)); // cached now
        assertEquals(Optional.of("first@example.com"), lookup(contacts, null, "anon-1"));
        contacts.learn("t", "u1", "anon-1", "older@example.com", Instant.parse("2026-02-01T00:00:00Z"));
        contacts.learn("t", "u1", "anon-1", "newer@example.com", Instant.parse("2026-04-01T00:00:00Z"));
        deleteAllRows(); // what answers now can only come from the cache
        assertEquals(Optional.of("newer@example.com"), lookup(contacts, "u1", null));
        assertEquals(Optional.of("newer@example.com"), lookup(contacts, null, "anon-1"));
        groupCommit.close();
    }

    @Test
    void aLateOldIdentifyNeverReplacesTheStoredEmailOfAnUncachedUser() throws Exception {
        GroupCommit groupCommit = new GroupCommit(open());
        KnownContacts contacts = cached(groupCommit, Duration.ofMinutes(10));
        contacts.learn("t", "u9", null, "current@example.com", Instant.parse("2026-03-01T00:00:00Z"));
        // a redelivery of an older identify, learned while u9 is not cached: the store keeps the newer email
        contacts.learn("t", "u9", null, "stale@example.com", Instant.parse("2026-01-01T00:00:00Z"));
        assertEquals(Optional.of("current@example.com"), lookup(contacts, "u9", null));
        assertEquals(Optional.of("current@example.com"), lookup(contacts, "u9", null), "and so does the cache it filled");
        groupCommit.close();
    }

    @Test
    void aMissReadsTheStoreAndAnUnknownUserIsNotCached() throws Exception {
        GroupCommit groupCommit = new GroupCommit(open());
        KnownContacts contacts = cached(groupCommit, Duration.ofMinutes(10));
        assertEquals(Optional.empty(), lookup(contacts, "u2", "anon-2"));
        // learned elsewhere (a row written to the store past this cache, as another instance would): read next time
        KnownContacts otherInstance = new KnownContacts(groupCommit, new UnrecordedOutcomes(Duration.ofSeconds(30)));
        otherInstance.learn("t", null, "anon-2", "anon@example.com", Instant.parse("2026-03-01T00:00:00Z"));
        assertEquals(Optional.of("anon@example.com"), lookup(contacts, "u2", "anon-2"), "by anonymousId when the userId is not known");
        otherInstance.learn("t", "u2", null, "user@example.com", Instant.parse("2026-03-02T00:00:00Z"));
        assertEquals(Optional.of("user@example.com"), lookup(contacts, "u2", "anon-2"), "the userId comes first");
        groupCommit.close();
    }

    @Test
    void aCachedEmailIsReadAgainAfterTheTtl() throws Exception {
        GroupCommit groupCommit = new GroupCommit(open());
        KnownContacts contacts = cached(groupCommit, Duration.ofMillis(200));
        contacts.learn("t", "u3", null, "first@example.com", Instant.parse("2026-03-01T00:00:00Z"));
        assertEquals(Optional.of("first@example.com"), lookup(contacts, "u3", null)); // cached now
        // another instance learns a newer email: within the TTL this one still answers the cached email
        KnownContacts otherInstance = new KnownContacts(groupCommit, new UnrecordedOutcomes(Duration.ofSeconds(30)));
        otherInstance.learn("t", "u3", null, "second@example.com", Instant.parse("2026-03-02T00:00:00Z"));
        assertEquals(Optional.of("first@example.com"), lookup(contacts, "u3", null));
        Thread.sleep(300);
        assertEquals(Optional.of("second@example.com"), lookup(contacts, "u3", null));
        groupCommit.close();
    }
}
