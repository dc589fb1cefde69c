package destination.mailmodo.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

import javax.sql.DataSource;

import destination.mailmodo.mapping.EventTime;
import destination.mailmodo.segment.SegmentEvent;
import destination.mailmodo.segment.TenantKey;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

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
    private static final String FIND = "SELECT email FROM known_contact WHERE tenant = ? AND id_kind = ? AND id = ?";

    private final DataSource dataSource;

    @Inject
    public KnownContacts(Store store) {
        this(store.dataSource());
    }

    public KnownContacts(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Called once Mailmodo accepted the identify. */
    public void learnFromIdentify(SegmentEvent event, TenantKey tenant, String email) {
        Instant seenAt = EventTime.of(event.json()).orElseGet(Instant::now);
        learn(tenant.tenant(), event.userId(), event.anonymousId(), email, seenAt);
    }

    public void learn(String tenant, String userId, String anonymousId, String email, Instant seenAt) {
        try (Connection connection = dataSource.getConnection()) {
            if (userId != null && !userId.isBlank()) {
                upsert(connection, tenant, USER, userId, email, seenAt);
            }
            if (anonymousId != null && !anonymousId.isBlank()) {
                upsert(connection, tenant, ANONYMOUS, anonymousId, email, seenAt);
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

    private Optional<String> find(String tenant, String kind, String id) {
        if (id == null || id.isBlank()) {
            return Optional.empty();
        }
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(FIND)) {
            select.setString(1, tenant);
            select.setString(2, kind);
            select.setString(3, id);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(row.getString(1)) : Optional.empty();
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
