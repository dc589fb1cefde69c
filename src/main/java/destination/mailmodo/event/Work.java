package destination.mailmodo.event;

/**
 * One unit the ingest's splitter hands on, routed by {@link #kind()}: a valid event, an event already rejected
 * by validation, or (with batch upserts) several identifies sharing one Mailmodo call.
 */
public sealed interface Work permits SegmentEvent, RejectedEvent, ContactBatch {

    String kind();
}
