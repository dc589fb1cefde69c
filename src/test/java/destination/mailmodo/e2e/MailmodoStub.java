package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * WireMock standing in for Mailmodo (the only external system). By default every call succeeds as Mailmodo's
 * spec documents; tests add per-key stubs (mmApiKey header) for failures, so test order never matters.
 */
public class MailmodoStub implements QuarkusTestResourceLifecycleManager {

    static WireMockServer server;

    @Override
    public Map<String, String> start() {
        if (server == null) {
            // threads enough that Mailmodo never queues a call: a stalled answer is held, not left unread; no gzip, or a
            // trickled answer would reach the client in bursts
            server = new WireMockServer(options().dynamicPort().containerThreads(300).gzipDisabled(true)
                    .asynchronousResponseEnabled(true).asynchronousResponseThreads(50));
            server.start();
            server.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Type", "application/json")
                    .withBody("{\"success\":true,\"message\":\"The contact is successfully added/updated\"}")));
        }
        return Map.of("mailmodo.base-url", server.baseUrl());
    }

    @Override
    public void stop() {
        // shared by every test profile's application; the JVM's end stops it
    }

    public static WireMockServer server() {
        return server;
    }
}
