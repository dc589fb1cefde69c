package destination.mailmodo.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The dead-letter store on a real SQLite file with the production migrations and SQL. */
class DeadLettersTest {

    @TempDir
    Path dataDir;

    private SQLiteDataSource open() {
        return SqliteFile.open(dataDir);
    }

    @BeforeEach
    void migrate() {
        SqliteFile.migrate(dataDir);
    }

    private static DeadLetter letter(String id, String tenant, long failedAt) {
        return new DeadLetter(id, tenant, "m-" + id, "identify", "no_email", "email is required", "{\"type\":\"identify\"}", "VIP", 0,
                failedAt);
    }

    @Test
    void survivesReopeningTheFile() {
        new DeadLetters(open(), Duration.ofDays(30)).add(letter("a", "t", 1000));
        DeadLetters reopened = new DeadLetters(open(), Duration.ofDays(30));
        assertEquals(List.of(letter("a", "t", 1000)), reopened.all("t"));
    }

    @Test
    void pagesNewestFirstAndTiesByIdAcrossTheCursor() {
        DeadLetters letters = new DeadLetters(open(), Duration.ofDays(30));
        letters.add(letter("a", "t", 1000));
        letters.add(letter("b", "t", 2000));
        letters.add(letter("c", "t", 2000));
        letters.add(letter("d", "other", 3000));
        List<DeadLetter> first = letters.page("t", Long.MAX_VALUE, "", 2);
        assertEquals(List.of("c", "b"), first.stream().map(DeadLetter::id).toList());
        List<DeadLetter> second = letters.page("t", 2000, "b", 2);
        assertEquals(List.of("a"), second.stream().map(DeadLetter::id).toList());
    }

    @Test
    void failedAgainUpdatesInPlaceAndDeleteIsTenantScoped() {
        DeadLetters letters = new DeadLetters(open(), Duration.ofDays(30));
        letters.add(letter("a", "t", 1000));
        assertTrue(letters.failedAgain("t", "a", "mailmodo_rejected", "Mailmodo rejected the event: x", 1, 5000));
        DeadLetter updated = letters.find("t", "a").orElseThrow();
        assertEquals("mailmodo_rejected", updated.reason());
        assertEquals(1, updated.attempts());
        assertEquals(5000, updated.failedAt());
        assertFalse(letters.failedAgain("other", "a", "x", "y", 1, 1));
        assertFalse(letters.delete("other", "a"));
        assertTrue(letters.delete("t", "a"));
        assertTrue(letters.all("t").isEmpty());
    }

    @Test
    void purgeDropsWhatIsOlderThanTheTtl() {
        DeadLetters letters = new DeadLetters(open(), Duration.ofMinutes(1));
        letters.add(letter("old", "t", System.currentTimeMillis() - 120_000));
        letters.add(letter("new", "t", System.currentTimeMillis()));
        assertEquals(1, letters.purgeExpired());
        assertEquals(List.of("new"), letters.all("t").stream().map(DeadLetter::id).toList());
    }
}
