package destination.mailmodo.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import javax.sql.DataSource;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.event.TenantKey;
import destination.mailmodo.mapping.EventTime;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The known-contact store: per tenant, userId / anonymousId → email of the newest identify Mailmodo accepted
 * (newest by event time, so a late redelivery of an old identify does not overwrite a newer email).
 * <p>
 * Tracks read it through a cache (Caffeine, read-through; a contact learned here updates a cached key when it is
 * newer, as the store's upsert does; unknown users are not cached): on the embedded store every write goes through
 * this instance, so the cache follows the store (but for a write the store refuses for good); on PostgreSQL another
 * instance may learn a newer email, seen here at most {@code destination.contact-cache-ttl} later.
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

    private static final Duration EMBEDDED_CACHE_TTL = Duration.ofMinutes(10);
    private static final Duration SHARED_CACHE_TTL = Duration.ofSeconds(5);

    private final DataSource dataSource;
    private final UnrecordedOutcomes unrecorded;
    private final AsyncStore asyncStore;
    private final StoreWork storeWork;
    private final Cache<Key, Learned> cache; // null: off

    @Inject
    public KnownContacts(Store store, UnrecordedOutcomes unrecorded, AsyncStore asyncStore, StoreWork storeWork,
            @ConfigProperty(name = "destination.contact-cache-ttl") Optional<Duration> cacheTtl,
            @ConfigProperty(name = "destination.contact-cache-size") long cacheSize) {
        this.dataSource = store.dataSource();
        this.unrecorded = unrecorded;
        this.asyncStore = asyncStore;
        this.storeWork = storeWork;
        Duration ttl = cacheTtl.orElse(store.dataSource() instanceof GroupCommit ? EMBEDDED_CACHE_TTL : SHARED_CACHE_TTL);
        this.cache = ttl.isNegative() || ttl.isZero() || cacheSize <= 0 ? null
                : Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(cacheSize).executor(Runnable::run).build();
    }

    /** Without the cache and the asynchronous lookup (only the blocking calls work). */
    public KnownContacts(DataSource dataSource, UnrecordedOutcomes unrecorded) {
        this.dataSource = dataSource;
        this.unrecorded = unrecorded;
        this.asyncStore = null;
        this.storeWork = null;
        this.cache = null;
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
        public AsyncStore.Operation<Integer> operation() {
            return connection -> {
                upsert(connection, key.tenant(), key.kind(), key.id(), email, seenAt);
                return 1;
            };
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

    /**
     * {@link #learnFromDelivered} as writes for an {@link AsyncStore} operation (keyed as {@link UnrecordedOutcomes}
     * keeps them); the cache takes the contact now, as it does when the store refuses it.
     */
    public Map<Object, UnrecordedOutcomes.Pending> learnedFromDelivered(Exchange exchange) {
        SegmentEvent event = exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class);
        String email = exchange.getProperty("email", String.class);
        Instant seenAt = EventTime.of(event.json()).orElseGet(Instant::now);
        Map<Object, UnrecordedOutcomes.Pending> writes = new LinkedHashMap<>();
        for (Key key : keys(exchange.getProperty("tenantKey", TenantKey.class).tenant(), event.userId(), event.anonymousId())) {
            Learned learned = new Learned(this, key, email, seenAt);
            writes.put(key, learned);
            refreshCached(learned);
        }
        return writes;
    }

    public void learnFromIdentify(SegmentEvent event, TenantKey tenant, String email) {
        Instant seenAt = EventTime.of(event.json()).orElseGet(Instant::now);
        for (Key key : keys(tenant.tenant(), event.userId(), event.anonymousId())) {
            Learned learned = new Learned(this, key, email, seenAt);
            unrecorded.record(key, learned);
            refreshCached(learned);
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
                refreshCached(new Learned(this, key, email, seenAt));
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

    /**
     * The email of a user (by userId, else by anonymousId when one is given) as a route step that never blocks the
     * event loop: handed to {@code then} (empty when not known), then the route goes on as {@link AsyncStore#run}
     * says. The cache answers at once; a miss is an {@link AsyncStore} read that fills it; a contact still waiting in
     * memory for the store (an outage) takes the blocking path, off the event loop.
     *
     * @return whether the route continued in place
     */
    public boolean emailOf(Exchange exchange, AsyncCallback callback, String tenant, String userId, String anonymousId,
            BiConsumer<Exchange, Optional<String>> then) {
        List<Key> keys = keys(tenant, userId, anonymousId);
        if (keys.stream().anyMatch(key -> unrecorded.find(key).isPresent())) {
            return storeWork.runBlocking(exchange, callback, blocking -> then.accept(blocking, emailOf(tenant, userId, anonymousId)));
        }
        Learned cached = keys.isEmpty() || cache == null ? null : cache.getIfPresent(keys.get(0)); // userId first
        if (cached != null || keys.isEmpty()) {
            AsyncStore.continueAfter(exchange, () -> then.accept(exchange, Optional.ofNullable(cached).map(Learned::email)));
            callback.done(true);
            return true;
        }
        return asyncStore.run(exchange, callback, connection -> read(connection, keys), then);
    }

    /** On the store's connection: the first key that has an email, cached. */
    private Optional<String> read(Connection connection, List<Key> keys) throws SQLException {
        for (Key key : keys) {
            Optional<Learned> stored = stored(connection, key);
            if (stored.isPresent()) {
                cache(stored.get());
                return stored.map(Learned::email);
            }
        }
        return Optional.empty();
    }

    /** A key read from the store: cached, unless a newer email was cached for it meanwhile. */
    private void cache(Learned stored) {
        if (cache != null) {
            cache.asMap().merge(stored.key(), stored, KnownContacts::newest);
        }
    }

    /**
     * A contact learned here: a cached key takes it when it is newer (as the store's upsert does). An uncached key
     * stays uncached — its stored email may be newer than this one (a late redelivery of an old identify), and the
     * next lookup reads the store.
     */
    private void refreshCached(Learned learned) {
        if (cache != null) {
            cache.asMap().computeIfPresent(learned.key(), (key, held) -> newest(held, learned));
        }
    }

    /** The newer of two emails of a key, by event time in milliseconds as the store keeps it; a tie goes to the later write. */
    private static Learned newest(Learned held, Learned other) {
        return other.seenAt().toEpochMilli() < held.seenAt().toEpochMilli() ? held : other;
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
        return AsyncStore.runOn(dataSource, connection -> stored(connection, new Key(tenant, kind, id)));
    }

    private Optional<Learned> stored(Connection connection, Key key) throws SQLException {
        PreparedStatement select = Statements.prepare(connection, FIND);
        try {
            select.setString(1, key.tenant());
            select.setString(2, key.kind());
            select.setString(3, key.id());
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(new Learned(this, key, row.getString(1), Instant.ofEpochMilli(row.getLong(2))))
                        : Optional.empty();
            }
        } finally {
            Statements.done(select);
        }
    }

    private static void upsert(Connection connection, String tenant, String kind, String id, String email, Instant seenAt)
            throws SQLException {
        PreparedStatement upsert = Statements.prepare(connection, UPSERT);
        try {
            upsert.setString(1, tenant);
            upsert.setString(2, kind);
            upsert.setString(3, id);
            upsert.setString(4, email);
            upsert.setLong(5, seenAt.toEpochMilli());
            upsert.executeUpdate();
        } finally {
            Statements.done(upsert);
        }
    }
}
