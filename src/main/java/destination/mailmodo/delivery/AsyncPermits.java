package destination.mailmodo.delivery;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A fair counting semaphore whose waiters are callbacks rather than parked threads: a permit is granted at once
 * when free and nobody waits, else to the first waiter when one is released, or refused once the waiter's wait
 * is over. Hand-written: {@link java.util.concurrent.Semaphore} parks the caller, and Vert.x and Camel have no
 * fair asynchronous semaphore with a bounded wait.
 */
final class AsyncPermits {

    /** Thrown at a caller of a retired instance: nobody holds or waits for its permits; look the key up again. */
    static final class Retired extends RuntimeException {
        static final Retired INSTANCE = new Retired();

        private Retired() {
            super("retired", null, false, false);
        }
    }

    private final Deque<Waiter> waiting = new ArrayDeque<>();
    private final ScheduledExecutorService timer;
    private final int total;
    private int free;
    private long lastUsed = System.nanoTime();
    private boolean retired;

    private static final class Waiter {
        final Consumer<Boolean> then;
        ScheduledFuture<?> timeout;

        Waiter(Consumer<Boolean> then) {
            this.then = then;
        }
    }

    AsyncPermits(int permits, ScheduledExecutorService timer) {
        this.total = permits;
        this.free = permits;
        this.timer = timer;
    }

    /** A permit if one is free and nobody waits for one; nothing taken otherwise. */
    synchronized boolean tryAcquire() {
        if (retired) {
            throw Retired.INSTANCE;
        }
        lastUsed = System.nanoTime();
        if (waiting.isEmpty() && free > 0) {
            free--;
            return true;
        }
        return false;
    }

    /**
     * A permit for {@code then}: {@code true} when granted — in place when free now, else on the thread that
     * releases one — or {@code false} on the timer's thread once {@code maxWaitMillis} passed without one.
     */
    void acquire(long maxWaitMillis, Consumer<Boolean> then) {
        if (tryAcquire()) {
            then.accept(true);
            return;
        }
        if (maxWaitMillis <= 0) {
            then.accept(false);
            return;
        }
        Waiter waiter = new Waiter(then);
        synchronized (this) {
            waiting.add(waiter);
            // scheduled under the lock: the timeout's removal waits for it, and a release sees the future set
            waiter.timeout = timer.schedule(() -> expire(waiter), maxWaitMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void expire(Waiter waiter) {
        synchronized (this) {
            if (!waiting.remove(waiter)) {
                return; // granted meanwhile
            }
        }
        waiter.then.accept(false);
    }

    /** Returns a permit: to the first waiter if any, else to the free ones. */
    void release() {
        Waiter next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                free++;
                return;
            }
            next.timeout.cancel(false);
        }
        next.then.accept(true);
    }

    /**
     * Retires this instance when nobody has used it for {@code idleNanos} and all its permits are back: its owner
     * then forgets it, and a caller that still holds it gets {@link Retired} and looks the key up again.
     */
    synchronized boolean retireIfIdle(long idleNanos) {
        if (!retired && waiting.isEmpty() && free == total && System.nanoTime() - lastUsed >= idleNanos) {
            retired = true;
        }
        return retired;
    }

    /** Permits free for a newcomer now (none while anyone waits). */
    synchronized int available() {
        return waiting.isEmpty() ? free : 0;
    }
}
