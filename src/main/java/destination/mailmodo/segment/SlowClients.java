package destination.mailmodo.segment;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Connections that send nothing useful are closed. {@code quarkus.http.idle-timeout} closes one on which nothing
 * moves at all; a client that trickles its request (a byte now and then keeps a connection "active") is cut off
 * once the server has written nothing to it for that idle time plus one request's budget and a second — what no
 * well-behaved connection reaches: it is either idle (closed at the idle timeout) or answered within the budget.
 * Vert.x has no "whole request headers within" limit, so the write-idle timeout stands in for one.
 */
@ApplicationScoped
public class SlowClients implements HttpServerOptionsCustomizer {

    private final long budgetMillis;

    public SlowClients(@ConfigProperty(name = "destination.request-budget") Duration budget) {
        this.budgetMillis = budget.toMillis();
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        cutOffSlowClients(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        cutOffSlowClients(options);
    }

    void cutOffSlowClients(HttpServerOptions options) {
        long idleMillis = options.getIdleTimeoutUnit().toMillis(options.getIdleTimeout());
        if (idleMillis <= 0) {
            return; // idle connections are never closed: neither are slow ones
        }
        options.setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        options.setIdleTimeout((int) idleMillis);
        options.setWriteIdleTimeout((int) Math.min(Integer.MAX_VALUE, requestWindowMillis(idleMillis)));
    }

    /** How long after the server last wrote to a connection a request on it must have been answered. */
    long requestWindowMillis(long idleMillis) {
        return idleMillis + budgetMillis + 1000;
    }
}
