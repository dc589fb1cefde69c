package destination.mailmodo.delivery;

import java.util.Set;
import java.util.concurrent.TimeUnit;

import destination.mailmodo.event.SegmentRequest;
import destination.mailmodo.event.SingleEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

/**
 * The metrics of DESIGN §8 (Micrometer, scraped at /q/metrics). Tag values come from fixed sets only —
 * never sender text, which would carry emails and explode the series count.
 * <ul>
 * <li>{@code mailmodo_destination_events_total{type, outcome, reason}}</li>
 * <li>{@code mailmodo_destination_mailmodo_request_seconds{endpoint, status}} (histogram)</li>
 * <li>{@code mailmodo_destination_rate_limit_wait_seconds}</li>
 * </ul>
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("deliveryCounters")
public class DeliveryCounters {

    private static final Set<String> TYPES = Set.of("identify", "track");

    private final MeterRegistry registry;
    private final Timer rateLimitWait;

    public DeliveryCounters(MeterRegistry registry) {
        this.registry = registry;
        this.rateLimitWait = Timer.builder("mailmodo.destination.rate.limit.wait")
                .description("Time calls waited for a rate-limit permit of their API key").register(registry);
    }

    /** One event, by type, outcome (received, delivered, duplicate, skipped, rejected, dead_lettered, retried, ambiguous) and reason code. */
    public void event(String type, String outcome, String reason) {
        Counter.builder("mailmodo.destination.events").description("Segment events by outcome")
                .tag("type", type == null ? "none" : TYPES.contains(type) ? type : "other")
                .tag("outcome", outcome).tag("reason", reason == null ? "none" : reason)
                .register(registry).increment();
    }

    /** Every event of an accepted request, valid or not. */
    public void receivedRequest(Exchange exchange) {
        for (var work : exchange.getProperty("segmentRequest", SegmentRequest.class).events()) {
            event(((SingleEvent) work).type(), "received", null);
        }
    }

    /** A Mailmodo response timeout: the call may have landed although no answer came back. */
    public void ambiguous(String type) {
        event(type, "ambiguous", "timeout");
    }

    public double ambiguousCount() {
        return registry.find("mailmodo.destination.events").tag("outcome", "ambiguous").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    public void rateLimitWaited(long nanos) {
        rateLimitWait.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One Mailmodo call: its duration by endpoint and HTTP status (or timeout, io_error). */
    public void mailmodoCall(String path, String status, long nanos) {
        Timer.builder("mailmodo.destination.mailmodo.request").description("Mailmodo API calls")
                .tag("endpoint", path == null ? "none" : path.replace('/', '_')).tag("status", status)
                .publishPercentileHistogram().register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
