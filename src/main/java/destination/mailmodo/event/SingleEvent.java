package destination.mailmodo.event;

import org.apache.camel.Exchange;

/** One event of a request, valid or not: where it stood, what it was called, and its kind. */
public interface SingleEvent {

    /** Exchange property: the valid event being worked ({@link SegmentEvent}). */
    String SEGMENT_EVENT = "segmentEvent";
    /** Exchange property: the event validation refused ({@link RejectedEvent}). */
    String REJECTED_EVENT = "rejectedEvent";

    int index();

    String messageId();

    String type();

    /** The event being worked on, valid or rejected; null outside an event (credential, request shape). */
    static SingleEvent of(Exchange exchange) {
        SingleEvent event = exchange.getProperty(SEGMENT_EVENT, SegmentEvent.class);
        return event != null ? event : exchange.getProperty(REJECTED_EVENT, RejectedEvent.class);
    }
}
