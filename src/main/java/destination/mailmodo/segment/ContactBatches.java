package destination.mailmodo.segment;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import destination.mailmodo.event.ContactBatch;
import destination.mailmodo.event.SegmentEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.ExchangeHelper;

/**
 * Several identifies of one request as one {@code /addToList/batch} call (DESIGN §5), as the identify route's
 * step {@code process: ref: contactBatch}: every identify goes through the event route ({@code direct:event}) at
 * once, each on its own exchange with every step a single identify takes (budget, integrations filter, dedupe
 * claim, email, mapping, delivery, learning, outcome), and its tenant's gathering ({@link IdentifyGatherings})
 * holds its next call until each of them has joined it or got its result without a call (a duplicate, skipped,
 * refused) — so they leave in one call, and a 207's refusal, a retry or a dead letter is each identify's own. The
 * step ends when every identify has its result; the results are its body. Hand-written: Camel's splitter works
 * its items one at a time (each would wait for the previous one's call) or hands each to a thread pool (a thread
 * parked per identify).
 */
@Singleton // no client proxy: Camel calls process() on the instance
@Named("contactBatch")
@RegisterForReflection // Camel looks it up by name from the YAML routes (native image)
public class ContactBatches extends AsyncProcessorSupport {

    private final IdentifyGatherings gatherings;
    private final RouteProducer eventRoute;

    public ContactBatches(IdentifyGatherings gatherings, CamelContext camel) {
        this.gatherings = gatherings;
        this.eventRoute = new RouteProducer(camel, "direct:event");
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        List<SegmentEvent> events = exchange.getMessage().getBody(ContactBatch.class).events();
        IdentifyGatherings.Hold hold = gatherings.hold(exchange);
        List<Object> results = new ArrayList<>(events.size());
        AtomicInteger unfinished = new AtomicInteger(events.size() + 1); // + 1 until every identify has started
        AsyncProducer route = eventRoute.get();
        for (SegmentEvent event : events) {
            Exchange identify = ExchangeHelper.createCorrelatedCopy(exchange, false);
            identify.getMessage().setBody(event);
            hold.expect(identify);
            route.process(identify, doneSync -> {
                hold.arrived(identify); // finished without joining the gathering (or after its call)
                synchronized (results) {
                    Object result = identify.getMessage().getBody();
                    if (result instanceof Collection<?> many) {
                        results.addAll(many);
                    } else if (result != null) {
                        results.add(result);
                    }
                }
                if (unfinished.decrementAndGet() == 0) {
                    finish(exchange, results);
                    callback.done(false);
                }
            });
        }
        hold.started();
        if (unfinished.decrementAndGet() == 0) {
            finish(exchange, results); // every identify finished in place
            callback.done(true);
            return true;
        }
        return false;
    }

    private static void finish(Exchange exchange, List<Object> results) {
        synchronized (results) {
            exchange.getMessage().setBody(new ArrayList<>(results));
        }
    }
}
