package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import com.github.tomakehurst.wiremock.client.WireMock;
import destination.mailmodo.delivery.PermanentMailmodoException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Another route of a hub (not the ingest) sends a prepared contact through kamelet:mailmodo-sink. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class HubUseTest {

    @Inject
    CamelContext camel;

    @Inject
    ProducerTemplate producer;

    @BeforeEach
    void hubRoute() throws Exception {
        if (camel.getRoute("hub-crm-sync") == null) {
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:crm-contact").routeId("hub-crm-sync")
                            .to("kamelet:mailmodo-sink?path=addToList");
                }
            });
        }
    }

    @Test
    void aHubRouteDeliversAPreparedContact() {
        String key = TestKeys.fresh();
        String contact = "{\"email\":\"crm@example.com\",\"listName\":\"CRM\",\"data\":{\"first_name\":\"Cleo\"}}";
        producer.sendBodyAndHeaders("direct:crm-contact", contact,
                Map.of("mmApiKey", key, "X-Crm-Session", "secret-session", "Authorization", "Bearer hub-internal"));
        // exactly the body, our headers only (the hub's own headers never reach Mailmodo)
        MailmodoRequests.assertSingle("/addToList", key, contact);
    }

    @Test
    void aRefusalReachesTheHubRouteAsATypedException() {
        String key = TestKeys.fresh();
        MailmodoStub.server().stubFor(post(urlEqualTo("/addToList")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(400).withBody("{\"success\":false,\"message\":\"list does not exist\"}")));
        CamelExecutionException failure = assertThrows(CamelExecutionException.class, () -> producer.sendBodyAndHeader(
                "direct:crm-contact", "{\"email\":\"crm2@example.com\",\"listName\":\"Nope\",\"data\":{}}", "mmApiKey", key));
        PermanentMailmodoException refused = assertInstanceOf(PermanentMailmodoException.class, failure.getCause());
        assertEquals("Mailmodo rejected the event: list does not exist", refused.outcome().message());
    }
}
