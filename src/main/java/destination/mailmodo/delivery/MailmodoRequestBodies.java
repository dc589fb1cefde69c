package destination.mailmodo.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import destination.mailmodo.event.SegmentEvent;
import destination.mailmodo.event.SingleEvent;
import destination.mailmodo.mapping.Contact;
import destination.mailmodo.mapping.IdentifyMapper;
import destination.mailmodo.mapping.TrackMapper;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;

/**
 * The Mailmodo request of the identify, track and contact-batch routes, written once as the JSON every attempt sends
 * ({@code mailmodoRequest}): the pure mappers applied to the event being worked — one step where a bean call with
 * expression parameters, a marshal and a conversion back to text were three.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("mailmodoRequestBodies")
public class MailmodoRequestBodies {

    public static final String REQUEST = "mailmodoRequest";
    /** The identify's {@link destination.mailmodo.mapping.Contact}, kept for a call it may share with others. */
    public static final String CONTACT = "mailmodoContact";

    private final ObjectMapper json;

    public MailmodoRequestBodies(ObjectMapper json) {
        this.json = json;
    }

    /**
     * The contact of the identify being worked ({@link #CONTACT}); written as JSON only by {@link #contactRequest}
     * when the identify goes alone — a gathered one rides in its call's batch request.
     */
    public void contact(Exchange exchange) {
        SegmentEvent event = exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class);
        exchange.setProperty(CONTACT, IdentifyMapper.toContact(event.json(), exchange.getProperty("email", String.class),
                exchange.getProperty("listName", String.class)));
    }

    /** {@code /addToList}: the identify's contact, for a call of its own. */
    public void contactRequest(Exchange exchange) throws JsonProcessingException {
        request(exchange, exchange.getProperty(CONTACT, Contact.class));
    }

    /** {@code /addEvent}: the custom event of the track being worked. */
    public void customEvent(Exchange exchange) throws JsonProcessingException {
        SegmentEvent event = exchange.getProperty(SingleEvent.SEGMENT_EVENT, SegmentEvent.class);
        request(exchange, TrackMapper.toEvent(event.json(), exchange.getProperty("email", String.class)));
    }

    /** {@code /addToList/batch}: the batch request the contact batch prepared as the body. */
    public void contactBatch(Exchange exchange) throws JsonProcessingException {
        request(exchange, exchange.getMessage().getBody());
    }

    private void request(Exchange exchange, Object body) throws JsonProcessingException {
        String request = json.writeValueAsString(body);
        exchange.setProperty(REQUEST, request);
        exchange.getMessage().setBody(request);
    }
}
