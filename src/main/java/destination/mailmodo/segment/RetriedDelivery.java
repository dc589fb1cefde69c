package destination.mailmodo.segment;

import destination.mailmodo.delivery.DeliveryRetries;
import destination.mailmodo.delivery.MailmodoCall;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.ExchangeHelper;

/**
 * An event route's delivery ({@code process: ref: retriedDelivery}): the delivery unit with its redelivery (route
 * {@code retried-delivery}) on an exchange of its own, whose answer — or final failure — comes back onto the event's
 * exchange as its own step's. Two reasons for the separate exchange: Camel copies the exchange before every step
 * of a route that can redeliver, so only the one-step {@code retried-delivery} route can (not the event routes, each
 * a dozen steps); and a failure an inner route's error handler gave up on is not handled again by its caller's,
 * while the event route's error handling must turn it into the event's outcome (503, or a dead letter).
 */
@Singleton // no client proxy: Camel calls process() on the instance
@Named("retriedDelivery")
@RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
public class RetriedDelivery extends AsyncProcessorSupport {

    private final RouteProducer route;

    public RetriedDelivery(CamelContext camel) {
        this.route = new RouteProducer(camel, "direct:retried-delivery");
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Exchange unit = ExchangeHelper.createCorrelatedCopy(exchange, false);
        // a redelivery runs on Camel's scheduler and its answer on the call's own threads: the event route resumes
        // on the event loop it came from, where its next store step does not block
        Context caller = Vertx.currentContext();
        return route.get().process(unit, doneSync -> {
            exchange.setProperty(DeliveryRetries.ATTEMPTS, unit.getProperty(DeliveryRetries.ATTEMPTS));
            if (unit.getException() != null) {
                failedAs(unit, exchange);
            } else {
                exchange.getMessage().setBody(unit.getMessage().getBody());
            }
            if (doneSync || caller == null || Vertx.currentContext() == caller) {
                callback.done(doneSync);
            } else {
                caller.runOnContext(ignored -> callback.done(false));
            }
        });
    }

    /** The unit's failure as {@code event}'s own: the exception, and where a call was cut. */
    static void failedAs(Exchange unit, Exchange event) {
        Object cut = unit.getProperty(MailmodoCall.CUT);
        if (cut != null) {
            event.setProperty(MailmodoCall.CUT, cut);
        }
        event.setException(unit.getException());
    }

    /** Starts {@code unit}'s delivery with its redelivery; {@code then} runs once it ended. */
    void deliver(Exchange unit, AsyncCallback then) {
        route.get().process(unit, then);
    }
}
