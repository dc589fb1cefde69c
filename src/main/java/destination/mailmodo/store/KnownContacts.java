package destination.mailmodo.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.mapping.EventTime;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.Exchange;

/**
 * The known-contact store: per tenant, userId / anonymousId → email of the newest identify Mailmodo accepted
 * (newest by event time, so a late redelivery of an old identify does not overwrite a newer email).
 */
@Singleton
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("knownContacts")
public class KnownContacts {

    private static final String USER = "user";
    private static final String ANONYMOUS = "anonymous";

    private static final String UPSERT = """
            INSERT INTO known_contact (tenant, id_kind, id, email, seen_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (tenant, id_kind, id) DO UPDATE SET email = excluded.email, seen_at = excluded.seen_at
            WHERE excluded.seen_at >= known_contact.seen_at""";
    private static final String FIND = "SELECT email, seen_at FROM known_contact WHERE tenant = ? AND id_kind = ? AND id = ?";

    private final DataSource dataSource;
    private final UnrecordedOutcomes unrecorded;

    @Inject
    public KnownContacts(Store store, UnrecordedOutcomes unrecorded) {
        this(store.dataSource(), unrecorded);
    }

    public KnownContacts(DataSource dataSource, UnrecordedOutcomes unrecorded) {
        this.dataSource = dataSource;
        this.unrecorded = unrecorded;
    }

    /** A known-contact row. */
    record Key(String tenant, String kind, String id) {
    }

    /** An email learned from an accepted identify, on its way to the store. */
    record Learned(KnownContacts contacts, Key key, String email, Instant seenAt) implements UnrecordedOutcomes.Pending {

        @Override
        public void write() {
            try (Connection connection = contacts.dataSource.getConnection()) {
                upsert(connection, key.tenant(), key.kind(), key.id(), email, seenAt);
            } catch (SQLException e) {
                throw new StoreUnavailable(e);
            }
        }

        @Override
        public String describe() {
            return "known contact tenant=" + key.tenant(); // the id may be an email: never logged
        }

        @Override
        public boolean supersedes(UnrecordedOutcomes.Pending other) {
            return !(other instanceof Learned earlier && earlier.seenAt.isAfter(seenAt)); // the newest identify wins
        }
    }

    /**
     * Called once Mailmodo accepted the identify. Never fails: when the store refuses, the contact waits in memory
     * until it is recorded (and tracks use it meanwhile), so the identify is not sent to Mailmodo again.
     */
    public void learnFromDelivered(Exchange exchange) {
        learnFromIdentify(exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class), exchange.getProperty("tenantKey", TenantKey.class),
                exchange.getProperty("email", String.class));
    }

    public void learnFromIdentify(SegmentEvent event, TenantKey tenant, String email) {
        Instant seenAt = EventTime.of(event.json()).orElseGet(Instant::now);
        for (Key key : keys(tenant.tenant(), event.userId(), event.anonymousId())) {
            unrecorded.record(key, new Learned(this, key, email, seenAt));
        }
    }

    private static List<Key> keys(String tenant, String userId, String anonymousId) {
        List<Key> keys = new ArrayList<>(2);
        if (userId != null && !userId.isBlank()) {
            keys.add(new Key(tenant, USER, userId));
        }
        if (anonymousId != null && !anonymousId.isBlank()) {
            keys.add(new Key(tenant, ANONYMOUS, anonymousId));
        }
        return keys;
    }

    /** Records both ids now, or throws {@link StoreUnavailable}. */
    public void learn(String tenant, String userId, String anonymousId, String email, Instant seenAt) {
        try (Connection connection = dataSource.getConnection()) {
            for (Key key : keys(tenant, userId, anonymousId)) {
                upsert(connection, tenant, key.kind(), key.id(), email, seenAt);
            }
        } catch (SQLException e) {
            throw new StoreUnavailable(e);
        }
    }

    public Optional<String> emailOfUser(String tenant, String userId) {
        return find(tenant, USER, userId);
    }

    /** By userId, else by anonymousId (DESIGN §5, track). */
    public Optional<String> emailOf(String tenant, String userId, String anonymousId) {
        return find(tenant, USER, userId).or(() -> find(tenant, ANONYMOUS, anonymousId));
    }

    /** The stored email, or the one learned here and not yet recorded when that is newer (or the store is down). */
    private Optional<String> find(String tenant, String kind, String id) {
        if (id == null || id.isBlank()) {
            return Optional.empty();
        }
        Optional<Learned> waiting = unrecorded.find(new Key(tenant, kind, id)).map(Learned.class::cast);
        Optional<Learned> stored;
        try {
            stored = stored(tenant, kind, id);
        } catch (StoreUnavailable down) {
            if (waiting.isPresent()) {
                return waiting.map(Learned::email);
            }
            throw down;
        }
        if (waiting.isPresent() && (stored.isEmpty() || !stored.get().seenAt().isAfter(waiting.get().seenAt()))) {
            return waiting.map(Learned::email);
        }
        return stored.map(Learned::email);
    }

    private Optional<Learned> stored(String tenant, String kind, String id) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(FIND)) {
            select.setString(1, tenant);
            select.setString(2, kind);
            select.setString(3, id);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(new Learned(this, null, row.getString(1), Instant.ofEpochMilli(row.getLong(2))))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreUnavailable(e);
        }
    }

    private static void upsert(Connection connection, String tenant, String kind, String id, String email, Instant seenAt)
            throws SQLException {
        try (PreparedStatement upsert = connection.prepareStatement(UPSERT)) {
            upsert.setString(1, tenant);
            upsert.setString(2, kind);
            upsert.setString(3, id);
            upsert.setString(4, email);
            upsert.setLong(5, seenAt.toEpochMilli());
            upsert.executeUpdate();
        }
    }
}
