package destination.mailmodo.mailmodo;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

/**
 * The HTTP client of the Mailmodo calls (kamelet's endpoint only, not every http endpoint of a hub):
 * no automatic re-execution — the client would silently retry 429/503 outside the request's budget and the
 * rate limit — and no cookie store, which would carry one tenant's cookies into another tenant's calls.
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
