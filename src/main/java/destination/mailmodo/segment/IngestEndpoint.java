package destination.mailmodo.segment;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.AsyncProcessorConverterHelper;
import org.apache.camel.support.service.ServiceHelper;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Serves {@code destination.path} on the Vert.x event loop and feeds each request to the ingest route
 * ({@code direct:ingest}) through an async producer; the route's answer is written from its completion. Camel's
 * platform-http (the admin API's consumer) cannot do this: it always runs a route on a worker thread and parks that
 * thread until the route is done — a thread hand-off and a parked thread per request, for as long as Mailmodo takes
 * to answer. Here the route runs on the event loop: its store steps complete asynchronously ({@code AsyncStore}),
 * only a step that may wait longer moves to a worker first ({@code storeWork}), and no thread waits for Mailmodo.
 * <p>
 * The HTTP request becomes the same message platform-http made: its headers, {@code CamelHttpMethod},
 * {@code CamelHttpQuery}, and the body as bytes (read up to {@code quarkus.http.limits.max-body-size}; past it
 * {@link OversizedRequests} answers 413). Every method reaches the route, which answers all but POST with a 405.
 */
@ApplicationScoped
public class IngestEndpoint {

    private static final String NOT_READY = "{\"message\":\"the destination is starting; retry\",\"status\":\"retry\",\"reason\":\"starting\"}";
    private static final String INTERNAL = "{\"message\":\"internal error; retry\",\"status\":\"retry\",\"reason\":\"internal_error\"}";

    private final CamelContext camel;
    private volatile Endpoint ingest;
    private volatile AsyncProcessor producer;

    public IngestEndpoint(CamelContext camel) {
        this.camel = camel;
    }

    void install(@Observes Router router, @ConfigProperty(name = "destination.path") String path,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize limit) {
        // after AnswerDeadline's and OversizedRequests' handlers on the same path
        router.route(path).order(Integer.MIN_VALUE + 1)
                .handler(BodyHandler.create(false).setBodyLimit(limit.asLongValue()).setHandleFileUploads(false))
                .handler(this::handle);
    }

    private void handle(RoutingContext context) {
        AsyncProcessor route = producer();
        if (route == null) {
            end(context.response(), 503, NOT_READY, "1");
            return;
        }
        HttpServerRequest request = context.request();
        Exchange exchange = ingest.createExchange();
        Message message = exchange.getMessage();
        request.headers().forEach(header -> message.setHeader(header.getKey(), header.getValue()));
        message.setHeader(Exchange.HTTP_METHOD, request.method().name());
        message.setHeader(Exchange.HTTP_QUERY, request.query());
        Buffer body = context.body().buffer();
        message.setBody(body == null || body.length() == 0 ? null : body.getBytes());
        Context requestContext = Vertx.currentContext();
        route.process(exchange, doneSync -> {
            if (doneSync || Vertx.currentContext() == requestContext) {
                answer(context.response(), exchange);
            } else {
                // the route ended on a worker: the answer is written by the connection's own event loop
                requestContext.runOnContext(ignored -> answer(context.response(), exchange));
            }
        });
    }

    private static void answer(HttpServerResponse response, Exchange exchange) {
        Message message = exchange.getMessage();
        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        if (exchange.getException() != null || status == null) {
            // the route answers every failure itself; this is the net under it (never a stack trace)
            end(response, 500, INTERNAL, null);
            return;
        }
        end(response, status, message.getBody(String.class), message.getHeader("Retry-After", String.class));
    }

    /**
     * Writes a JSON answer, unless the request was answered already (by the request deadline, {@link AnswerDeadline})
     * or the sender is gone; true when this wrote it.
     */
    static boolean end(HttpServerResponse response, int status, String body, String retryAfter) {
        if (response.ended() || response.headWritten() || response.closed()) {
            return false;
        }
        response.setStatusCode(status).putHeader("Content-Type", "application/json");
        if (retryAfter != null) {
            response.putHeader("Retry-After", retryAfter);
        }
        response.end(body == null ? "" : body);
        return true;
    }

    /** The ingest route's producer, once Camel has started. */
    private AsyncProcessor producer() {
        AsyncProcessor ready = producer;
        if (ready != null || camel.getStatus() == null || !camel.getStatus().isStarted()) {
            return ready;
        }
        synchronized (this) {
            if (producer == null) {
                try {
                    Endpoint endpoint = camel.getEndpoint("direct:ingest");
                    var created = endpoint.createAsyncProducer();
                    ServiceHelper.startService(created);
                    ingest = endpoint;
                    producer = AsyncProcessorConverterHelper.convert(created);
                } catch (Exception notYet) {
                    return null;
                }
            }
            return producer;
        }
    }
}
