package destination.mailmodo.event;

/** One event of a request, valid or not: where it stood, what it was called, and its kind. */
public interface SingleEvent {

    int index();

    String messageId();

    String type();
}
