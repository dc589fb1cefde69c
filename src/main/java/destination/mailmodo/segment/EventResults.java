package destination.mailmodo.segment;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;

/** The splitter's aggregation: every unit's result(s), gathered into one list for the request's answer. */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("eventResults")
public class EventResults implements AggregationStrategy {

    @SuppressWarnings("unchecked")
    static final Class<List<EventResult>> LIST_TYPE = (Class<List<EventResult>>) (Class<?>) List.class;

    @Override
    public Exchange aggregate(Exchange gathered, Exchange unit) {
        // a fresh carrier: the first unit's exchange may carry its handled failure's state into the request (the
        // enricher of a single event gives the request's own exchange, whose body is the event, not results yet)
        Exchange into = gathered != null ? gathered : new DefaultExchange(unit.getContext());
        List<EventResult> results = gathered != null && gathered.getMessage().getBody() instanceof List<?>
                ? into.getMessage().getBody(LIST_TYPE) : new ArrayList<>();
        Object produced = unit.getMessage().getBody();
        if (produced instanceof EventResult result) {
            results.add(result);
        } else if (produced instanceof Collection<?> many) {
            many.forEach(result -> results.add((EventResult) result));
        }
        into.getMessage().setBody(results);
        return into;
    }
}
