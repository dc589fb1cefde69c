package destination.mailmodo.store;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.quarkus.runtime.annotations.RegisterForProxy;

/**
 * Group commit for the embedded SQLite store: every store operation runs on one connection, in the
 * transaction that is open, and returns only once a commit covering it is on disk — the same guarantee as a
 * commit (and an fsync) per operation, but one commit serves every operation that ran while the previous
 * one was being written. One writer also means SQLite never answers "busy" to a competing connection.
 * The committer commits as soon as there is something to commit; there is no timer to wait for.
 * <p>
 * Operations submitted with {@link #submit} run on the committer itself, on the bare connection, just before the
 * commit that covers them, and complete their future once it is on disk: the caller (the HTTP event loop) never
 * waits and no thread is parked per operation.
 */
@RegisterForProxy(targets = Connection.class) // the borrowed connection is a dynamic proxy (native image)
final class GroupCommit implements DataSource, AutoCloseable {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(GroupCommit.class);
    private static final long LOCK_WAIT_MILLIS = 2000;
    // a borrowing operation never waits longer than this for its commit (a stalled disk is a 503, never a hung
    // request); a submitted one is bounded by its caller (AsyncStore)
    static final long COMMIT_WAIT_MILLIS = 3000;

    private final DataSource pool;
    private Connection connection; // replaced when a failed commit leaves it unusable
    private final ReentrantLock lock = new ReentrantLock(true);
    // operations wait for their commit on this condition; the committer parks apart (LockSupport), so ending an
    // operation wakes only the committer, and a submission never takes the lock
    private final Condition settledChanged = lock.newCondition();
    private final Thread committer;
    // operations submitted to run on the committer: taken in order before each commit
    private final ConcurrentLinkedQueue<Submitted<?>> submitted = new ConcurrentLinkedQueue<>();
    // the submitted operations' prepared statements on the current connection (committer thread only)
    private final Statements.Kept kept = new Statements.Kept();
    private volatile long written; // operations run on the connection (written under the lock)
    private long committed; // operations a successful commit covered
    private volatile long settled; // operations a commit, successful or not, covered (written under the lock)
    private SQLException failure;
    private volatile boolean closed;
    // operations a thread nests inside one borrowing (see Store.inOneCommit) share its commit
    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
    // whether this thread's borrowing wrote anything: a read alone does not wait for a commit
    private final ThreadLocal<boolean[]> wrote = ThreadLocal.withInitial(() -> new boolean[1]);

    GroupCommit(DataSource pool) throws SQLException {
        this.pool = pool;
        this.connection = pool.getConnection();
        this.connection.setAutoCommit(false);
        this.committer = new Thread(this::commitLoop, "store-group-commit");
        this.committer.setDaemon(true);
        this.committer.start();
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (Thread.currentThread() == committer) {
            // an operation run by the committer borrowing again would wait for its own commit
            throw new SQLException("a submitted store operation must use the connection it is given");
        }
        try {
            if (!lock.tryLock(LOCK_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new SQLException("the state store is busy");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted waiting for the state store", e);
        }
        try {
            Connection borrowed = (Connection) Proxy.newProxyInstance(GroupCommit.class.getClassLoader(),
                    new Class<?>[] { Connection.class }, new Borrowed());
            if (++depth.get()[0] == 1) {
                // a kept statement this borrowing reuses never passes the proxy: a write must still wait for its commit
                kept.lend(sql -> {
                    if (isWrite(sql)) {
                        wrote.get()[0] = true;
                    }
                });
            }
            return borrowed;
        } catch (RuntimeException e) {
            lock.unlock();
            throw e;
        }
    }

    /** The shared connection while one operation holds it; closing it waits for the commit that covers it. */
    private final class Borrowed implements InvocationHandler {
        private boolean returned;

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "close":
                    if (!returned) {
                        returned = true;
                        if (--depth.get()[0] > 0) {
                            lock.unlock(); // nested: the outermost borrowing waits for the commit
                            return null;
                        }
                        kept.giveBack();
                        if (wrote.get()[0]) {
                            wrote.get()[0] = false;
                            awaitCommit(release());
                        } else {
                            lock.unlock();
                        }
                    }
                    return null;
                case "isClosed":
                    return returned;
                case "commit", "setAutoCommit":
                    return null; // the committer's
                case "rollback":
                    throw new SQLFeatureNotSupportedException("operations of the embedded store are committed together");
                default:
                    if (returned) {
                        throw new SQLException("connection returned");
                    }
                    if (writes(method, args)) {
                        wrote.get()[0] = true;
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
            }
        }
    }

    /** Whether a statement may change the store: anything but a SELECT (a read alone waits for no commit). */
    private static boolean writes(Method method, Object[] args) {
        return switch (method.getName()) {
            case "prepareStatement", "createStatement", "prepareCall" -> args == null || !(args[0] instanceof String sql) || isWrite(sql);
            default -> false;
        };
    }

    private static boolean isWrite(String sql) {
        return !sql.stripLeading().regionMatches(true, 0, "SELECT", 0, 6);
    }

    /** Ends an operation's turn on the connection: its ticket. */
    private long release() {
        long ticket;
        try {
            ticket = ++written;
        } finally {
            lock.unlock();
        }
        LockSupport.unpark(committer);
        return ticket;
    }

    private record Submitted<T>(AsyncStore.Operation<T> operation, CompletableFuture<T> done) {
    }

    /** An operation's outcome, published once the commit covering it settled. */
    private record Ran<T>(CompletableFuture<T> done, T value, Throwable failure) {
    }

    /**
     * Runs {@code operation} on the committer before its next commit; the future completes (on the committer's
     * thread: hand the continuation on at once) when that commit is on disk, or fails with
     * {@link StoreUnavailable}. Never blocks the caller.
     */
    <T> CompletableFuture<T> submit(AsyncStore.Operation<T> operation) {
        CompletableFuture<T> done = new CompletableFuture<>();
        if (closed) {
            done.completeExceptionally(new StoreUnavailable(new SQLException("the state store is closed")));
            return done;
        }
        submitted.add(new Submitted<>(operation, done));
        if (closed) {
            failSubmitted(); // closed meanwhile: the committer may be gone already
        }
        LockSupport.unpark(committer);
        return done;
    }

    /** On the committer, holding the lock: runs what was submitted, each as one more operation of this commit. */
    private void runSubmitted(List<Ran<?>> ran) {
        if (submitted.isEmpty()) {
            return;
        }
        kept.use(() -> {
            for (Submitted<?> next; (next = submitted.poll()) != null;) {
                ran.add(run(next));
                written++;
            }
        });
    }

    /**
     * One submitted operation. A failed one fails alone, but writes it made before it failed stay in the commit
     * (no savepoint): an operation makes at most one write, or writes that may stand without the rest.
     */
    private <T> Ran<T> run(Submitted<T> submitted) {
        try {
            return new Ran<>(submitted.done(), submitted.operation().run(connection), null);
        } catch (Throwable e) { // an Error fails this operation, not the committer
            return new Ran<>(submitted.done(), null, e);
        }
    }

    private void awaitCommit(long ticket) throws SQLException {
        lock.lock();
        try {
            long left = TimeUnit.MILLISECONDS.toNanos(COMMIT_WAIT_MILLIS);
            while (settled < ticket && !closed) {
                if (left <= 0) {
                    throw new SQLException("the state store did not commit within " + COMMIT_WAIT_MILLIS + " ms");
                }
                left = settledChanged.awaitNanos(left);
            }
            if (committed < ticket) {
                throw failure != null ? new SQLException("the state store could not commit", failure)
                        : new SQLException("the state store is closed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted waiting for the state store to commit", e);
        } finally {
            lock.unlock();
        }
    }

    private void commitLoop() {
        try {
            while (!closed) {
                Thread.interrupted(); // a stray interrupt must not turn park() into a spin
                if (written == settled && submitted.isEmpty()) {
                    LockSupport.park(this); // an operation ending, a submission or close() unparks
                    continue;
                }
                commitOnce();
            }
        } catch (Throwable fatal) {
            LOG.errorf("state store committer stopped (%s): the embedded store refuses every operation until restart",
                    fatal.getClass().getName());
            throw fatal;
        } finally {
            closed = true; // what waits or comes now fails at once (503) rather than hanging
            lock.lock();
            try {
                settledChanged.signalAll();
            } finally {
                lock.unlock();
            }
            failSubmitted();
        }
    }

    private void commitOnce() {
        List<Ran<?>> ran = new ArrayList<>();
        boolean ok = false;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            runSubmitted(ran);
            long upTo = written;
            try {
                connection.commit();
                committed = upTo;
                ok = true;
            } catch (SQLException | RuntimeException e) {
                failure = e instanceof SQLException sql ? sql : new SQLException(e);
                recover();
            }
            settled = upTo;
            settledChanged.signalAll();
        } finally {
            lock.unlock();
            publish(ran, ok); // also when the committer dies here: no submitted operation is left without an answer
        }
    }

    private void publish(List<Ran<?>> ran, boolean committedOk) {
        for (Ran<?> each : ran) {
            complete(each, committedOk);
        }
    }

    @SuppressWarnings({ "unchecked", "rawtypes" })
    private void complete(Ran each, boolean committedOk) {
        if (each.failure() != null) {
            each.done().completeExceptionally(each.failure() instanceof SQLException || each.failure() instanceof Error
                    ? new StoreUnavailable(each.failure()) : each.failure());
        } else if (committedOk) {
            each.done().complete(each.value());
        } else {
            each.done().completeExceptionally(new StoreUnavailable(new SQLException("the state store could not commit", failure)));
        }
    }

    private void failSubmitted() {
        for (Submitted<?> left; (left = submitted.poll()) != null;) {
            left.done().completeExceptionally(new StoreUnavailable(new SQLException("the state store is closed")));
        }
    }

    /**
     * After a failed commit: roll back what it covered. SQLite may already have rolled the transaction back
     * itself (disk full, I/O error), and then the driver cannot start the next one on this connection: take a
     * fresh connection instead, so the store recovers once the cause is gone.
     */
    private void recover() {
        kept.drop();
        try {
            connection.rollback();
            return;
        } catch (SQLException | RuntimeException unusable) {
            // replaced below
        }
        try {
            connection.close();
        } catch (SQLException | RuntimeException ignored) {
            // it is being replaced
        }
        try {
            Connection fresh = pool.getConnection();
            fresh.setAutoCommit(false);
            connection = fresh;
        } catch (SQLException stillDown) {
            // the next commit fails and recovers again
        }
    }

    @Override
    public void close() throws SQLException {
        lock.lock();
        try {
            closed = true;
            settledChanged.signalAll();
        } finally {
            lock.unlock();
        }
        LockSupport.unpark(committer);
        try {
            committer.join(COMMIT_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failSubmitted();
        lock.lock();
        try {
            if (written > committed) {
                connection.commit();
            }
        } finally {
            lock.unlock();
            connection.close();
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return false;
    }
}
