package destination.mailmodo;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;

/**
 * A database of its own on the local PostgreSQL (127.0.0.1:5432, trust auth) for packaged instances to share, dropped
 * on close; it can be made to refuse every connection, as an outage or a restart of PostgreSQL would.
 */
final class SharedDatabase implements AutoCloseable {

    private static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";

    private final String name = "mailmodo_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    SharedDatabase() throws Exception {
        sql("CREATE DATABASE " + name);
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:5432/" + name;
    }

    /** The settings that put a packaged instance on this database. */
    String[] settings(String... more) {
        String[] all = new String[4 + more.length];
        all[0] = "destination.store=postgresql";
        all[1] = "destination.store.url=" + url();
        all[2] = "destination.store.username=postgres";
        all[3] = "destination.data-dir=target/shared-it-unused";
        System.arraycopy(more, 0, all, 4, more.length);
        return all;
    }

    /** PostgreSQL refuses new connections to this database and ends the open ones. */
    void refuseConnections() throws Exception {
        sql("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
        sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
    }

    void allowConnections() throws Exception {
        sql("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
    }

    /** A connection of the test's own to this database (to lock tables, read rows). */
    Connection connect() throws Exception {
        return DriverManager.getConnection(url(), "postgres", "");
    }

    @Override
    public void close() throws Exception {
        allowConnections();
        sql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    private static void sql(String statement) throws Exception {
        try (Connection connection = DriverManager.getConnection(ADMIN_URL, "postgres", ""); Statement run = connection.createStatement()) {
            run.execute(statement);
        }
    }
}
