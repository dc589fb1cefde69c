package destination.mailmodo.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The dead-letter store: per tenant, newest first; kept {@code destination.dead-letter-ttl}. */
@Singleton
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("deadLetters")
public class DeadLetters {

    private static final String COLUMNS = "id, tenant, message_id, type, reason, message, event, list_name, attempts, failed_at";
    private static final String INSERT = "INSERT INTO dead_letter (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String FAILED_AGAIN = """
            UPDATE dead_letter SET reason = ?, message = ?, attempts = attempts + ?, failed_at = ? WHERE tenant = ? AND id = ?""";
    private static final String PAGE = "SELECT " + COLUMNS + " FROM dead_letter WHERE tenant = ? AND (failed_at < ? OR (failed_at = ? AND id < ?))"
            + " ORDER BY failed_at DESC, id DESC LIMIT ?";
    private static final String BY_ID = "SELECT " + COLUMNS + " FROM dead_letter WHERE tenant = ? AND id = ?";
    private static final String ALL = "SELECT " + COLUMNS + " FROM dead_letter WHERE tenant = ? ORDER BY failed_at, id";
    private static final String DELETE = "DELETE FROM dead_letter WHERE tenant = ? AND id = ?";
    private static final String PURGE = "DELETE FROM dead_letter WHERE failed_at < ?";

    private final DataSource dataSource;
    private final long ttlMillis;

    @Inject
    public DeadLetters(Store store, @ConfigProperty(name = "destination.dead-letter-ttl") Duration ttl) {
        this(store.dataSource(), ttl);
    }

    public DeadLetters(DataSource dataSource, Duration ttl) {
        this.dataSource = dataSource;
        this.ttlMillis = ttl.toMillis();
    }

    public void add(DeadLetter letter) {
        AsyncStore.runOn(dataSource, addOperation(letter));
    }

    /** {@link #add} as one operation on a connection ({@link AsyncStore}). */
    public AsyncStore.Operation<Integer> addOperation(DeadLetter letter) {
        return connection -> {
            try (PreparedStatement statement = prepare(connection, INSERT, letter.id(), letter.tenant(), letter.messageId(), letter.type(),
                    letter.reason(), letter.message(), letter.event(), letter.listName(), letter.attempts(), letter.failedAt())) {
                return statement.executeUpdate();
            }
        };
    }

    /** A replay failed for good again: the same dead letter, with the new reason and its attempts added. */
    public boolean failedAgain(String tenant, String id, String reason, String message, int attempts, long failedAt) {
        return run(FAILED_AGAIN, reason, message, attempts, failedAt, tenant, id) == 1;
    }

    /** Newest first, strictly before the cursor position ({@code failedAt}, {@code id}). */
    public List<DeadLetter> page(String tenant, long beforeFailedAt, String beforeId, int limit) {
        return query(PAGE, tenant, beforeFailedAt, beforeFailedAt, beforeId, limit);
    }

    public Optional<DeadLetter> find(String tenant, String id) {
        return query(BY_ID, tenant, id).stream().findFirst();
    }

    /** Oldest first: the order a replay of everything sends them in. */
    public List<DeadLetter> all(String tenant) {
        return query(ALL, tenant);
    }

    public List<DeadLetter> find(String tenant, Collection<String> ids) {
        List<DeadLetter> found = new ArrayList<>();
        ids.stream().distinct().forEach(id -> find(tenant, id).ifPresent(found::add));
        return found;
    }

    public boolean delete(String tenant, String id) {
        return run(DELETE, tenant, id) == 1;
    }

    /** @return how many dead letters older than destination.dead-letter-ttl were dropped */
    public int purgeExpired() {
        return run(PURGE, System.currentTimeMillis() - ttlMillis);
    }

    private int run(String sql, Object... values) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = prepare(connection, sql, values)) {
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw new StoreUnavailable(e);
        }
    }

    private List<DeadLetter> query(String sql, Object... values) {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = prepare(connection, sql, values);
                ResultSet row = statement.executeQuery()) {
            List<DeadLetter> letters = new ArrayList<>();
            while (row.next()) {
                letters.add(new DeadLetter(row.getString(1), row.getString(2), row.getString(3), row.getString(4), row.getString(5),
                        row.getString(6), row.getString(7), row.getString(8), row.getInt(9), row.getLong(10)));
            }
            return letters;
        } catch (SQLException e) {
            throw new StoreUnavailable(e);
        }
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... values) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        for (int i = 0; i < values.length; i++) {
            statement.setObject(i + 1, values[i]);
        }
        return statement;
    }
}
