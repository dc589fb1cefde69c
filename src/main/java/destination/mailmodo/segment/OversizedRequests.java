package destination.mailmodo.segment;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * A body over {@code quarkus.http.limits.max-body-size} is refused by the HTTP layer before any route runs,
 * with an empty 413; this answers it with the same JSON as every other answer (DESIGN §3), both when the
 * declared Content-Length is too large and when a chunked body grows past the limit.
 */
@ApplicationScoped
public class OversizedRequests {

    private static final String TOO_LARGE = new JsonObject().put("message", "request body is too large")
            .put("status", "rejected").put("reason", "too_large").encode();

    void install(@Observes Router router, @ConfigProperty(name = "destination.path") String path,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize limit) {
        long maxBytes = limit.asLongValue();
        router.route(path).order(Integer.MIN_VALUE).handler(context -> {
            String declared = context.request().getHeader("Content-Length");
            if (declared != null && declared.chars().allMatch(Character::isDigit) && declared.length() < 19
                    && Long.parseLong(declared) > maxBytes) {
                answer(context);
            } else {
                context.next();
            }
        }).failureHandler(context -> {
            if (context.statusCode() == 413 && !context.response().headWritten()) {
                answer(context);
            } else {
                context.next();
            }
        });
    }

    private static void answer(RoutingContext context) {
        // the unread body is not drained: close the connection after the answer
        context.response().setStatusCode(413).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                .end(TOO_LARGE);
    }
}
