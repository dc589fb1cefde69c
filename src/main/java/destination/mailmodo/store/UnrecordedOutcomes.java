package destination.mailmodo.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Outcomes decided after Mailmodo answered — a dedupe key's outcome, a contact learned from an accepted identify —
 * that the store refused to record (outage, lock, full disk). They are never forgotten while the process lives:
 * kept here and written as soon as the store answers again, retried well inside {@code destination.dedupe-lease}
 * so no other attempt can take the event over meanwhile; until then the dedupe and the known-contact reads answer
 * from here. A crash loses what is here (the README's "ambiguous" case): a gauge and readiness show it.
 */
@Singleton
public class UnrecordedOutcomes {

    /** One write the store refused, kept until it goes through. */
    public interface Pending {

        /** Writes it to the store; throws {@link StoreUnavailable} when the store does not take it. */
        void write();

        /** For the shutdown log: ids only, never an email or a trait. */
        String describe();

        /** When a write for the same key is already waiting: which one to keep (the newest by default). */
        default Pending keptOver(Pending waiting) {
            return this;
        }
    }

    private static final Logger LOG = Logger.getLogger(UnrecordedOutcomes.class);
    private static final long SHUTDOWN_WRITE_MILLIS = 3000;

    private final Map<Object, Pending> waiting = new ConcurrentHashMap<>();
    // one write of a waiting entry at a time: a retry never lands after a newer decision for the same key
    private final ReentrantLock writing = new ReentrantLock();
    // the writes of the current Store.inOneCommit on this thread: kept here if that commit fails
    private final ThreadLocal<List<Map.Entry<Object, Pending>>> commitScope = new ThreadLocal<>();
    private final long retryMillis;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "unrecorded-outcomes-writer");
        thread.setDaemon(true);
        return thread;
    });
    private boolean retryScheduled; // guarded by this

    @Inject
    public UnrecordedOutcomes(@ConfigProperty(name = "destination.dedupe-lease") Duration lease, MeterRegistry registry) {
        this(lease);
        Gauge.builder("mailmodo.destination.unrecorded.outcomes", this, UnrecordedOutcomes::size)
                .description("Outcomes decided but not yet recorded in the state store (lost if the process crashes)")
                .register(registry);
    }

    public UnrecordedOutcomes(Duration lease) {
        // a tenth of the lease, at most a quarter second: written long before another attempt could take the key over
        this.retryMillis = Math.max(10, Math.min(250, lease.toMillis() / 10));
    }

    /**
     * Records {@code write} now, or keeps it when the store refuses. Inside {@link #inOneCommit} the write only
     * counts once that commit is on disk.
     */
    public void record(Object key, Pending write) {
        try {
            write.write();
        } catch (RuntimeException refused) {
            keep(key, write);
            return;
        }
        List<Map.Entry<Object, Pending>> scope = commitScope.get();
        if (scope != null) {
            scope.add(Map.entry(key, write));
        } else {
            forget(key);
        }
    }

    /**
     * Runs store operations that share one commit (embedded store); if that commit fails, every write recorded in
     * it is kept here instead of being lost with the rolled-back transaction.
     */
    public <T> T inOneCommit(Store store, Supplier<T> operations) {
        List<Map.Entry<Object, Pending>> scope = new ArrayList<>();
        commitScope.set(scope);
        try {
            T result = store.inOneCommit(operations);
            scope.forEach(written -> forget(written.getKey()));
            return result;
        } catch (StoreUnavailable commitFailed) {
            scope.forEach(written -> keep(written.getKey(), written.getValue()));
            throw commitFailed;
        } finally {
            commitScope.remove();
        }
    }

    /** The write waiting for this key, if the store refused it. */
    public Optional<Pending> find(Object key) {
        return waiting.isEmpty() ? Optional.empty() : Optional.ofNullable(waiting.get(key));
    }

    /** Writes what waits for this key now; true when nothing waits for it any more. */
    public boolean writeNow(Object key) {
        return waiting.isEmpty() || writeWaiting(key);
    }

    public int size() {
        return waiting.size();
    }

    private void keep(Object key, Pending write) {
        waiting.merge(key, write, (earlier, later) -> later.keptOver(earlier));
        LOG.errorf("state store did not record %s: kept in memory and retried every %d ms (%d waiting)",
                write.describe(), retryMillis, waiting.size());
        scheduleRetry();
    }

    private void forget(Object key) {
        if (waiting.isEmpty()) {
            return;
        }
        writing.lock();
        try {
            waiting.remove(key);
        } finally {
            writing.unlock();
        }
    }

    private boolean writeWaiting(Object key) {
        writing.lock();
        try {
            Pending write = waiting.get(key);
            if (write == null) {
                return true;
            }
            write.write();
            waiting.remove(key, write);
            return true;
        } catch (RuntimeException refused) {
            return false;
        } finally {
            writing.unlock();
        }
    }

    private synchronized void scheduleRetry() {
        if (!retryScheduled && !writer.isShutdown()) {
            retryScheduled = true;
            writer.schedule(this::retry, retryMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void retry() {
        boolean allWritten = writeAll();
        synchronized (this) {
            retryScheduled = false;
        }
        if (!allWritten || !waiting.isEmpty()) {
            scheduleRetry();
        } else {
            LOG.info("state store answers again: every kept outcome is recorded");
        }
    }

    /** Writes everything waiting, in turn; stops at the first refusal (the store is still down). */
    private boolean writeAll() {
        for (Object key : List.copyOf(waiting.keySet())) {
            if (!writeWaiting(key)) {
                return false;
            }
        }
        return true;
    }

    /**
     * On SIGTERM, once requests in flight are answered: a last attempt to record what waits (for a few seconds);
     * what still cannot be written is logged by id, never by content.
     */
    void onShutdown(@Observes ShutdownEvent stop) {
        long deadline = System.currentTimeMillis() + SHUTDOWN_WRITE_MILLIS;
        while (!waiting.isEmpty() && !writeAll() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(retryMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        reportLost("shutdown");
    }

    @PreDestroy
    void stop() {
        writer.shutdownNow();
        reportLost("stop");
    }

    private void reportLost(String when) {
        if (!waiting.isEmpty()) {
            LOG.errorf("%s: %d outcomes could not be recorded in the state store and are lost with this process "
                    + "(their redelivery may reach Mailmodo again): %s", when, waiting.size(),
                    waiting.values().stream().map(Pending::describe).toList());
        }
    }
}
