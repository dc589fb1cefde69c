package destination.mailmodo.segment;

import java.time.Duration;

import destination.mailmodo.delivery.DeliveryCounters;
import destination.mailmodo.event.Outcome;
import destination.mailmodo.event.RequestBudget;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The last line of the request budget (DESIGN §3): every wait of the routes is bounded by what remains of it, and
 * this makes sure of it from outside — an ingest request not answered {@link #GRACE_MILLIS} after its budget is
 * answered 503 {@code deadline} here, on the HTTP server, whatever the routes are still waiting for (a stalled
 * store, a bug). Processing goes on: its outcome is recorded as usual, so the sender's redelivery gets it
 * (a delivered event is then a duplicate). A Vert.x route in front of platform-http's, because platform-http
 * answers only when the route is done.
 */
@ApplicationScoped
public class AnswerDeadline {

    static final long GRACE_MILLIS = 250;
    static final String MESSAGE = "not answered within this request's time budget; retry";

    private static final Logger LOG = Logger.getLogger("destination.mailmodo.outcome");
    private static final String BODY = "{\"message\":\"" + MESSAGE + "\",\"status\":\"retry\",\"reason\":\"deadline\"}";

    private final String path;
    private final long limitMillis;
    private final DeliveryCounters counters;

    public AnswerDeadline(@ConfigProperty(name = "destination.path") String path,
            @ConfigProperty(name = "destination.request-budget") Duration budget, DeliveryCounters counters) {
        this.path = path;
        this.limitMillis = budget.toMillis() + GRACE_MILLIS;
        this.counters = counters;
    }

    void install(@Observes Router router) {
        router.route(path).order(Integer.MIN_VALUE).handler(context -> {
            Vertx vertx = context.vertx();
            long arrived = System.currentTimeMillis();
            // the routes' budget runs from the same instant (set, so a sender cannot choose it)
            context.request().headers().set(RequestBudget.ARRIVED_HEADER, Long.toString(arrived));
            long timer = vertx.setTimer(limitMillis, fired -> answerLate(context.response(), arrived));
            context.addEndHandler(ended -> vertx.cancelTimer(timer));
            context.next();
        });
    }

    private void answerLate(HttpServerResponse response, long arrived) {
        if (!IngestEndpoint.end(response, 503, BODY, String.valueOf(Outcome.DEFAULT_RETRY_AFTER))) {
            return; // the route answered in time, or the sender is gone
        }
        counters.event(null, "retried", "deadline");
        LOG.warnf("outcome messageId=- type=- tenant=- status=503 outcome=retry reason=deadline ms=%d (answered by the request "
                + "deadline; the events' own outcome lines follow when their processing ends)", System.currentTimeMillis() - arrived);
    }
}
