package destination.mailmodo.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

import javax.sql.DataSource;

import destination.mailmodo.event.Outcome;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The idempotent consumer's memory (DESIGN §7): per (tenant, messageId) an atomic claim with a lease while
 * the event is processed, then the outcome once it is delivered or permanently rejected; a retryable
 * failure deletes the claim so the sender's redelivery is processed afresh. Uniqueness is the database's
 * primary key, never a read-then-write, so several instances sharing the store deliver once.
 */
@Singleton
@Named("processedMessages")
public class ProcessedMessages {

    /** What a claim found. */
    @RegisterForReflection
    public sealed interface Claim permits Claimed, AlreadyDone, InFlight {
    }

    /** This caller holds the key; {@code leaseUntil} tells its claim from a later one that took the key over. */
    public record Claimed(long leaseUntil) implements Claim {
    }

    public record AlreadyDone(Outcome outcome) implements Claim {
    }

    public record InFlight() implements Claim {
    }

    private static final String INSERT = """
            INSERT INTO processed_message (tenant, message_id, state, lease_until, expires_at) VALUES (?, ?, 'in_flight', ?, ?)
            ON CONFLICT (tenant, message_id) DO NOTHING""";
    // a crashed holder's lease, or a forgotten key not yet purged, may be taken over
    private static final String TAKE_OVER = """
            UPDATE processed_message SET state = 'in_flight', http_status = NULL, status = NULL, reason = NULL, message = NULL,
                   lease_until = ?, expires_at = ?
            WHERE tenant = ? AND message_id = ? AND ((state = 'in_flight' AND lease_until < ?) OR expires_at < ?)""";
    // a replay may also take over a key that kept a rejection: it is the fix being tried
    private static final String TAKE_OVER_FOR_REPLAY = """
            UPDATE processed_message SET state = 'in_flight', http_status = NULL, status = NULL, reason = NULL, message = NULL,
                   lease_until = ?, expires_at = ?
            WHERE tenant = ? AND message_id = ?
              AND ((state = 'in_flight' AND lease_until < ?) OR expires_at < ? OR (state = 'done' AND http_status <> 200))""";
    private static final String FIND = "SELECT state, http_status, status, reason, message FROM processed_message WHERE tenant = ? AND message_id = ?";
    private static final String COMPLETE = """
            INSERT INTO processed_message (tenant, message_id, state, http_status, status, reason, message, lease_until, expires_at)
            VALUES (?, ?, 'done', ?, ?, ?, ?, 0, ?)
            ON CONFLICT (tenant, message_id) DO UPDATE SET state = 'done', http_status = excluded.http_status,
                   status = excluded.status, reason = excluded.reason, message = excluded.message,
                   lease_until = 0, expires_at = excluded.expires_at""";
    private static final String RELEASE = "DELETE FROM processed_message WHERE tenant = ? AND message_id = ? AND state = 'in_flight'";
    // only the claim this caller made: a late release never drops a claim another attempt took over since
    private static final String RELEASE_OWN = RELEASE + " AND lease_until = ?";
    private static final String PURGE = "DELETE FROM processed_message WHERE expires_at < ?";

    private final DataSource dataSource;
    private final long ttlMillis;
    private final long leaseMillis;

    @Inject
    public ProcessedMessages(Store store, @ConfigProperty(name = "destination.dedupe-ttl") Duration ttl,
            @ConfigProperty(name = "destination.dedupe-lease") Duration lease) {
        this(store.dataSource(), ttl, lease);
    }

    public ProcessedMessages(DataSource dataSource, Duration ttl, Duration lease) {
        this.dataSource = dataSource;
        this.ttlMillis = ttl.toMillis();
        this.leaseMillis = lease.toMillis();
    }

    public Claim claim(String tenant, String messageId) {
        return claim(tenant, messageId, TAKE_OVER);
    }

    /** The claim of a dead-letter replay: like any other, but a kept rejection does not stop it. */
    public Claim claimForReplay(String tenant, String messageId) {
        return claim(tenant, messageId, TAKE_OVER_FOR_REPLAY);
    }

    private Claim claim(String tenant, String messageId, String takeOver) {
        return runNow(connection -> claim(connection, tenant, messageId, takeOver));
    }

    /** The claim as one operation on a connection ({@link AsyncStore}): a replay's when {@code replay}. */
    public AsyncStore.Operation<Claim> claimOperation(String tenant, String messageId, boolean replay) {
        String takeOver = replay ? TAKE_OVER_FOR_REPLAY : TAKE_OVER;
        return connection -> claim(connection, tenant, messageId, takeOver);
    }

    private Claim claim(Connection connection, String tenant, String messageId, String takeOver) throws SQLException {
        // a claim released between our insert and our read is simply tried again
        for (int attempt = 0; attempt < 3; attempt++) {
            long now = System.currentTimeMillis();
            if (update(connection, INSERT, tenant, messageId, now + leaseMillis, now + ttlMillis) == 1
                    || update(connection, takeOver, now + leaseMillis, now + ttlMillis, tenant, messageId, now, now) == 1) {
                return new Claimed(now + leaseMillis);
            }
            Optional<Claim> existing = find(connection, tenant, messageId);
            if (existing.isPresent()) {
                return existing.get();
            }
        }
        return new InFlight();
    }

    /** Delivered or permanently rejected: a duplicate gets this outcome again until the key expires. */
    public void complete(String tenant, String messageId, Outcome outcome) {
        runNow(completeOperation(tenant, messageId, outcome));
    }

    /** {@link #complete} as one operation on a connection ({@link AsyncStore}). */
    public AsyncStore.Operation<Integer> completeOperation(String tenant, String messageId, Outcome outcome) {
        return connection -> update(connection, COMPLETE, tenant, messageId, outcome.httpStatus(), outcome.status(), outcome.reason(),
                Store.storable(outcome.message()), System.currentTimeMillis() + ttlMillis);
    }

    /** A retryable failure: forget the claim so the sender's redelivery is processed. */
    public void release(String tenant, String messageId) {
        release(tenant, messageId, null);
    }

    /** Forgets the claim made with {@code leaseUntil} (any in-flight claim of the key when null). */
    public void release(String tenant, String messageId, Long leaseUntil) {
        runNow(releaseOperation(tenant, messageId, leaseUntil));
    }

    /** {@link #release(String, String, Long)} as one operation on a connection ({@link AsyncStore}). */
    public AsyncStore.Operation<Integer> releaseOperation(String tenant, String messageId, Long leaseUntil) {
        return connection -> leaseUntil == null ? update(connection, RELEASE, tenant, messageId)
                : update(connection, RELEASE_OWN, tenant, messageId, leaseUntil);
    }

    private <T> T runNow(AsyncStore.Operation<T> operation) {
        return AsyncStore.runOn(dataSource, operation);
    }

    /** @return how many keys older than destination.dedupe-ttl were forgotten */
    public int purgeExpired() {
        try (Connection connection = dataSource.getConnection()) {
            return update(connection, PURGE, System.currentTimeMillis());
        } catch (SQLException e) {
            throw new StoreUnavailable(e);
        }
    }

    private static Optional<Claim> find(Connection connection, String tenant, String messageId) throws SQLException {
        PreparedStatement select = Statements.prepare(connection, FIND);
        try {
            select.setString(1, tenant);
            select.setString(2, messageId);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                if (!"done".equals(row.getString(1))) {
                    return Optional.of(new InFlight());
                }
                return Optional.of(new AlreadyDone(new Outcome(row.getInt(2), row.getString(3), row.getString(4), row.getString(5), null)));
            }
        } finally {
            Statements.done(select);
        }
    }

    private static int update(Connection connection, String sql, Object... values) throws SQLException {
        PreparedStatement statement = Statements.prepare(connection, sql);
        try {
            for (int i = 0; i < values.length; i++) {
                statement.setObject(i + 1, values[i]);
            }
            return statement.executeUpdate();
        } finally {
            Statements.done(statement);
        }
    }
}
