package destination.mailmodo.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AsyncPermitsTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void freePermitsAreGrantedInPlaceThenWaitersInArrivalOrder() {
        AsyncPermits permits = new AsyncPermits(2, timer);
        List<String> granted = new ArrayList<>();
        permits.acquire(1000, ok -> granted.add("a" + ok));
        permits.acquire(1000, ok -> granted.add("b" + ok));
        assertEquals(List.of("atrue", "btrue"), granted, "both free: granted on the caller's thread");
        permits.acquire(1000, ok -> granted.add("c" + ok));
        permits.acquire(1000, ok -> granted.add("d" + ok));
        assertEquals(0, permits.available());
        assertFalse(permits.tryAcquire(), "a newcomer does not pass the waiters");
        permits.release();
        assertEquals(List.of("atrue", "btrue", "ctrue"), granted, "the first waiter gets the released permit");
        permits.release();
        permits.release();
        assertEquals(List.of("atrue", "btrue", "ctrue", "dtrue"), granted);
        assertEquals(1, permits.available(), "the last release is free again");
        assertTrue(permits.tryAcquire());
    }

    @Test
    void aWaiterIsRefusedWhenItsWaitIsOverAndItsPlaceIsNotKept() throws Exception {
        AsyncPermits permits = new AsyncPermits(1, timer);
        assertTrue(permits.tryAcquire());
        CountDownLatch refused = new CountDownLatch(1);
        List<Boolean> late = new ArrayList<>();
        long started = System.nanoTime();
        permits.acquire(100, ok -> {
            late.add(ok);
            refused.countDown();
        });
        assertTrue(refused.await(2, TimeUnit.SECONDS));
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(List.of(false), late);
        assertTrue(waitedMillis >= 90, "refused after its wait: " + waitedMillis + " ms");
        permits.release();
        assertEquals(List.of(false), late, "a refused waiter is never granted afterwards");
        assertEquals(1, permits.available());
    }

    @Test
    void noWaitAllowedIsAnImmediateRefusal() {
        AsyncPermits permits = new AsyncPermits(1, timer);
        assertTrue(permits.tryAcquire());
        List<Boolean> answer = new ArrayList<>();
        permits.acquire(0, answer::add);
        assertEquals(List.of(false), answer);
        assertEquals(0, permits.available());
    }

    @Test
    void onlyAnIdleInstanceWithEveryPermitBackIsRetiredAndThenRefusesCallers() {
        AsyncPermits permits = new AsyncPermits(2, timer);
        assertTrue(permits.tryAcquire());
        assertFalse(permits.retireIfIdle(0), "a permit is out");
        permits.release();
        assertFalse(permits.retireIfIdle(TimeUnit.MINUTES.toNanos(1)), "used within the idle time");
        assertTrue(permits.retireIfIdle(0));
        org.junit.jupiter.api.Assertions.assertThrows(AsyncPermits.Retired.class, permits::tryAcquire,
                "a caller still holding it looks the key up again");
        org.junit.jupiter.api.Assertions.assertThrows(AsyncPermits.Retired.class, () -> permits.acquire(100, ok -> { }));
    }
}
