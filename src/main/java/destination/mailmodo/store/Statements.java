package destination.mailmodo.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Prepared statements for the store's SQL. On the embedded store — one connection, used by one thread at a time
 * (its committer running submitted operations, or an operation borrowing it) — each statement is prepared once and
 * kept: SQLite parses the SQL at every prepare, which would cost a parse per operation. Anywhere else a statement is prepared and closed per use (on
 * PostgreSQL the driver keeps server-side statements itself). Hand-written: Agroal does not cache statements, and
 * the embedded store holds its one connection for its whole life. Kept statements are closed when the connection
 * is replaced after a failed commit.
 */
final class Statements {

    /** The kept statements in use on this thread, and what a reuse must tell the store (a write). */
    private record InUse(Map<String, PreparedStatement> statements, Consumer<String> reused) {
    }

    // set while this thread holds the embedded store's connection: its statements
    private static final ThreadLocal<InUse> KEPT = new ThreadLocal<>();

    private Statements() {
    }

    /** A statement for {@code sql} on {@code connection}; give it back with {@link #done}. */
    static PreparedStatement prepare(Connection connection, String sql) throws SQLException {
        InUse kept = KEPT.get();
        if (kept == null) {
            return connection.prepareStatement(sql);
        }
        PreparedStatement statement = kept.statements().get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            kept.statements().put(sql, statement);
        } else {
            kept.reused().accept(sql);
        }
        return statement;
    }

    /** Closes {@code statement}, or keeps it (parameters cleared) when it is one of the kept ones. */
    static void done(PreparedStatement statement) throws SQLException {
        if (KEPT.get() == null) {
            statement.close();
        } else {
            statement.clearParameters();
        }
    }

    /**
     * The statements kept on the embedded store's one connection. Only the thread holding that connection (the
     * store's lock) uses them: the committer running submitted operations, or a borrowing operation.
     */
    static final class Kept {
        private final Map<String, PreparedStatement> statements = new HashMap<>();

        /** Runs {@code work} with the kept statements in use on this thread (the committer). */
        void use(Runnable work) {
            KEPT.set(new InUse(statements, sql -> { }));
            try {
                work.run();
            } finally {
                KEPT.remove();
            }
        }

        /** This thread now holds the connection; {@code reused} hears of every statement it takes from the kept ones. */
        void lend(Consumer<String> reused) {
            KEPT.set(new InUse(statements, reused));
        }

        /** This thread no longer holds the connection. */
        void giveBack() {
            KEPT.remove();
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
