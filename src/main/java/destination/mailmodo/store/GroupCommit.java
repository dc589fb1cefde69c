package destination.mailmodo.store;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
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
 */
@RegisterForProxy(targets = Connection.class) // the borrowed connection is a dynamic proxy (native image)
final class GroupCommit implements DataSource, AutoCloseable {

    private static final long LOCK_WAIT_MILLIS = 2000;
    // an operation never waits longer than this for its commit (a stalled disk is a 503, never a hung request)
    private static final long COMMIT_WAIT_MILLIS = 3000;

    private final DataSource pool;
    private Connection connection; // replaced when a failed commit leaves it unusable
    private final ReentrantLock lock = new ReentrantLock(true);
    // the committer waits for work, operations wait for their commit: apart, so ending an operation wakes only the
    // committer and not every thread waiting for a commit
    private final Condition work = lock.newCondition();
    private final Condition settledChanged = lock.newCondition();
    private final Thread committer;
    private long written; // operations run on the connection
    private long committed; // operations a successful commit covered
    private long settled; // operations a commit, successful or not, covered
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
            depth.get()[0]++;
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
                        } else if (wrote.get()[0]) {
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
            case "prepareStatement", "createStatement", "prepareCall" ->
                    args == null || !(args[0] instanceof String sql) || !sql.stripLeading().regionMatches(true, 0, "SELECT", 0, 6);
            default -> false;
        };
    }

    /** Ends an operation's turn on the connection: its ticket. */
    private long release() {
        try {
            written++;
            work.signal();
            return written;
        } finally {
            lock.unlock();
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
        while (!closed) {
            lock.lock();
            try {
                while (written == settled && !closed) {
                    work.await();
                }
                if (closed) {
                    return;
                }
                long upTo = written;
                try {
                    connection.commit();
                    committed = upTo;
                } catch (SQLException | RuntimeException e) {
                    failure = e instanceof SQLException sql ? sql : new SQLException(e);
                    recover();
                }
                settled = upTo;
                settledChanged.signalAll();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * After a failed commit: roll back what it covered. SQLite may already have rolled the transaction back
     * itself (disk full, I/O error), and then the driver cannot start the next one on this connection: take a
     * fresh connection instead, so the store recovers once the cause is gone.
     */
    private void recover() {
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
            work.signalAll();
            settledChanged.signalAll();
        } finally {
            lock.unlock();
        }
        committer.interrupt();
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
