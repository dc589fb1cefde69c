package destination.mailmodo.delivery;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

/**
 * The HTTP client of the mailmodo-sink kamelet's endpoint (not every http endpoint of a hub): no automatic
 * re-execution — the client would silently retry 429/503 outside the caller's budget and rate limit — and no
 * cookie store, which would carry one tenant's cookies into another tenant's calls. The pool is sized on the
 * kamelet's endpoint. (The destination's own routes call Mailmodo through {@link MailmodoCall}.)
 */
@ApplicationScoped
@Named("mailmodoHttpClient")
@RegisterForReflection
public class MailmodoHttpClient implements HttpClientConfigurer {

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        clientBuilder.disableAutomaticRetries().disableCookieManagement();
    }
}
