package destination.mailmodo.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import javax.sql.DataSource;

import destination.mailmodo.event.RequestBudget;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;

/**
 * Store operations for a route on the HTTP event loop, which must never wait: the operation runs elsewhere and the
 * route resumes on the event loop it came from once the operation's outcome is durable. On the embedded store the
 * group committer runs it just before the commit that covers it (no thread parked per operation); PostgreSQL's
 * driver blocks, so there it runs on Quarkus' worker pool. A route already off the event loop runs it in place.
 * Hand-written: Camel's JDBC/SQL components block the calling thread and know nothing of the group commit.
 */
@Singleton
public class AsyncStore {

    /** A store operation on a connection (its statements commit together on the embedded store). */
    @FunctionalInterface
    public interface Operation<T> {
        T run(Connection connection) throws SQLException;
    }

    private final Store store;
    private final RequestBudget budget;
    private final Executor workers = Infrastructure.getDefaultWorkerPool();

    public AsyncStore(Store store, RequestBudget budget) {
        this.store = store;
        this.budget = budget;
    }

    /**
     * Runs {@code operation} for the exchange and hands its value to {@code then}, then continues the route:
     * asynchronously, back on this event loop, when called on one; in place otherwise. A failure of the operation
     * or of {@code then} becomes the exchange's exception.
     *
     * @return whether the route continued in place (Camel's AsyncProcessor contract)
     */
    public <T> boolean run(Exchange exchange, AsyncCallback callback, Operation<T> operation, BiConsumer<Exchange, T> then) {
        return run(exchange, callback, operation, then, Exchange::setException, value -> { });
    }

    /**
     * As {@link #run(Exchange, AsyncCallback, Operation, BiConsumer)}, with a failure of the store handed to
     * {@code failed} — also when the store did not answer within the request's budget (at most
     * {@code GroupCommit.COMMIT_WAIT_MILLIS}); an operation that succeeds after that hands its value to {@code late}.
     */
    public <T> boolean run(Exchange exchange, AsyncCallback callback, Operation<T> operation, BiConsumer<Exchange, T> then,
            BiConsumer<Exchange, RuntimeException> failed, Consumer<T> late) {
        if (!Context.isOnEventLoopThread()) {
            T value;
            try {
                value = runNow(operation);
            } catch (RuntimeException e) {
                continueAfter(exchange, () -> failed.accept(exchange, e));
                callback.done(true);
                return true;
            }
            continueAfter(exchange, () -> then.accept(exchange, value));
            callback.done(true);
            return true;
        }
        // bounded like a blocking store step: a stalled disk or database is a 503 within the budget, never a hang
        long waitMillis = Math.max(1, Math.min(budget.remainingMillis(exchange), GroupCommit.COMMIT_WAIT_MILLIS));
        Context eventLoop = Vertx.currentContext();
        AtomicBoolean finished = new AtomicBoolean();
        long timer = eventLoop.owner().setTimer(waitMillis, id -> {
            if (finished.compareAndSet(false, true)) {
                continueAfter(exchange, () -> failed.accept(exchange,
                        new StoreUnavailable(new SQLException("the state store did not answer within " + waitMillis + " ms"))));
                callback.done(false);
            }
        });
        submit(operation).whenComplete((value, failure) -> eventLoop.runOnContext(ignored -> {
            if (!finished.compareAndSet(false, true)) {
                if (failure == null) {
                    late.accept(value); // the route already went on without it
                }
                return;
            }
            eventLoop.owner().cancelTimer(timer);
            continueAfter(exchange, failure == null ? () -> then.accept(exchange, value) : () -> failed.accept(exchange, unwrap(failure)));
            callback.done(false);
        }));
        return false;
    }

    /** Runs a step of the route after a store operation; its failure becomes the exchange's exception. */
    public static void continueAfter(Exchange exchange, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            exchange.setException(e);
        }
    }

    private static RuntimeException unwrap(Throwable failure) {
        Throwable cause = failure instanceof CompletionException wrapped && wrapped.getCause() != null ? wrapped.getCause() : failure;
        return cause instanceof RuntimeException runtime ? runtime : new StoreUnavailable(cause);
    }

    /** Runs {@code operation} on this thread (waiting for its commit on the embedded store). */
    public <T> T runNow(Operation<T> operation) {
        return runOn(store.dataSource(), operation);
    }

    /** Runs {@code operation} on a connection of {@code dataSource}, on this thread; a refusal is {@link StoreUnavailable}. */
    static <T> T runOn(DataSource dataSource, Operation<T> operation) {
        try (Connection connection = dataSource.getConnection()) {
            return operation.run(connection);
        } catch (SQLException e) {
            throw new StoreUnavailable(e);
        }
    }

    /** Runs {@code operation} without waiting for it (embedded: on the committer; PostgreSQL: on a worker). */
    public <T> CompletableFuture<T> submit(Operation<T> operation) {
        if (store.dataSource() instanceof GroupCommit groupCommit) {
            return groupCommit.submit(operation);
        }
        CompletableFuture<T> done = new CompletableFuture<>();
        try {
            workers.execute(() -> {
                try {
                    done.complete(runNow(operation));
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException shuttingDown) {
            done.completeExceptionally(new StoreUnavailable(new SQLException("the state store is closing", shuttingDown)));
        }
        return done;
    }
}
