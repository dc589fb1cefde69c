package destination.mailmodo.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * Prepared statements for the store's SQL. On the embedded store's committer — the one thread that runs every
 * submitted operation, on one connection — each statement is prepared once and kept: SQLite parses the SQL at every
 * prepare, which would cost a parse per operation. Anywhere else a statement is prepared and closed per use (on
 * PostgreSQL the driver keeps server-side statements itself). Hand-written: Agroal does not cache statements, and
 * the embedded store holds its one connection for its whole life. Kept statements are closed when the connection
 * is replaced after a failed commit.
 */
final class Statements {

    // set on the committer's thread while it runs submitted operations: the statements of its current connection
    private static final ThreadLocal<Map<String, PreparedStatement>> KEPT = new ThreadLocal<>();

    private Statements() {
    }

    /** A statement for {@code sql} on {@code connection}; give it back with {@link #done}. */
    static PreparedStatement prepare(Connection connection, String sql) throws SQLException {
        Map<String, PreparedStatement> kept = KEPT.get();
        if (kept == null) {
            return connection.prepareStatement(sql);
        }
        PreparedStatement statement = kept.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            kept.put(sql, statement);
        }
        return statement;
    }

    /** Closes {@code statement}, or keeps it (parameters cleared) when it is one of the committer's. */
    static void done(PreparedStatement statement) throws SQLException {
        if (KEPT.get() == null) {
            statement.close();
        } else {
            statement.clearParameters();
        }
    }

    /** The committer's kept statements: runs {@code work} with them in use on this thread. */
    static final class Kept {
        private final Map<String, PreparedStatement> statements = new HashMap<>();

        void use(Runnable work) {
            KEPT.set(statements);
            try {
                work.run();
            } finally {
                KEPT.remove();
            }
        }

        /** Forgets them all (the connection failed or is being replaced). */
        void drop() {
            for (PreparedStatement statement : statements.values()) {
                try {
                    statement.close();
                } catch (SQLException | RuntimeException ignored) {
                    // the connection is going away
                }
            }
            statements.clear();
        }
    }
}
