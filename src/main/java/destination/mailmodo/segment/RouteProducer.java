package destination.mailmodo.segment;

import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceHelper;

/** An async producer of a route's {@code direct:} endpoint, made (and started) at first use, once the routes run. */
final class RouteProducer {

    private final CamelContext camel;
    private final String uri;
    private volatile AsyncProducer producer;

    RouteProducer(CamelContext camel, String uri) {
        this.camel = camel;
        this.uri = uri;
    }

    AsyncProducer get() {
        AsyncProducer made = producer;
        if (made == null) {
            synchronized (this) {
                if (producer == null) {
                    try {
                        AsyncProducer created = camel.getEndpoint(uri).createAsyncProducer();
                        ServiceHelper.startService(created);
                        producer = created;
                    } catch (Exception e) {
                        throw new IllegalStateException("the route behind " + uri + " is not available", e);
                    }
                }
                made = producer;
            }
        }
        return made;
    }
}
