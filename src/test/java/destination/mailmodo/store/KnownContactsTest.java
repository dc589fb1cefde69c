package destination.mailmodo.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

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
}
