package destination.mailmodo.store;

import java.nio.file.Path;

import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteDataSource;

/** The embedded store's file as production opens it (WAL), migrated with the production migrations. */
final class SqliteFile {

    private SqliteFile() {
    }

    /** A new connection source on the file: nothing is kept in memory between two of them. */
    static SQLiteDataSource open(Path dataDir) {
        SQLiteDataSource dataSource = new SQLiteDataSource();
        dataSource.setUrl("jdbc:sqlite:" + dataDir.resolve("mailmodo-destination.db") + "?journal_mode=WAL&busy_timeout=5000");
        return dataSource;
    }

    static void migrate(Path dataDir) {
        Flyway.configure().dataSource(open(dataDir)).locations("classpath:db/migration").load().migrate();
    }
}
