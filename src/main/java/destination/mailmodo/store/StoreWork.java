package destination.mailmodo.store;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The step before a step that waits for the store ({@code process: ref: storeWork}). The ingest runs on the HTTP
 * event loop, which must never wait: there the route moves to Quarkus' worker pool (bounded by
 * {@code quarkus.thread-pool.max-threads}); on any other thread it simply goes on. Camel's {@code threads} EIP
 * would hand the exchange over every time — a thread switch and a parked caller for a route that is already on a
 * worker (an identify sent on through a gathering, a redelivery, a replay). No thread of the pool waits for
 * Mailmodo.
 */
@ApplicationScoped
@Named("storeWork")
@RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
public class StoreWork extends AsyncProcessorSupport {

    private final Executor pool = Infrastructure.getDefaultWorkerPool();

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        if (!Context.isOnEventLoopThread()) {
            callback.done(true);
            return true;
        }
        try {
            pool.execute(() -> callback.done(false));
        } catch (RejectedExecutionException shuttingDown) {
            exchange.setException(shuttingDown);
            callback.done(true);
            return true;
        }
        return false;
    }

    /**
     * Runs a step that may block ({@code step}), off the event loop when called on it, then continues the route; a
     * failure of the step becomes the exchange's exception.
     *
     * @return whether the route continued in place (Camel's AsyncProcessor contract)
     */
    public boolean runBlocking(Exchange exchange, AsyncCallback callback, Consumer<Exchange> step) {
        return process(exchange, doneSync -> {
            if (exchange.getException() == null) {
                AsyncStore.continueAfter(exchange, () -> step.accept(exchange));
            }
            callback.done(doneSync);
        });
    }
}
