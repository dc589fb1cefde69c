package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static destination.mailmodo.e2e.Sender.send;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.tomakehurst.wiremock.client.WireMock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Health and the metrics of DESIGN §8, as an operator's Prometheus sees them. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class OperationsEndToEndTest {

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /** The value of one series, 0 when it does not exist yet. */
    private static double value(String metrics, String series) {
        Matcher line = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(metrics);
        return line.find() ? Double.parseDouble(line.group(1)) : 0;
    }

    private static String events(String outcome, String reason, String type) {
        return "mailmodo_destination_events_total{outcome=\"" + outcome + "\",reason=\"" + reason + "\",type=\"" + type + "\"}";
    }

    @Test
    void healthReportsTheStoreAndTheRoutes() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItems("state store", "routes"));
    }

    @Test
    void eventsAndMailmodoCallsAreCounted() {
        String key = TestKeys.fresh();
        MailmodoStub.server().stubFor(post(urlEqualTo("/addEvent")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(400).withBody("{\"success\":false,\"message\":\"bad\"}")));
        String before = metrics();

        send(key, "{\"type\":\"identify\",\"userId\":\"op-1\",\"messageId\":\"op-m1\",\"traits\":{\"email\":\"op1@example.com\"}}").statusCode(200);
        send(key, "{\"type\":\"identify\",\"userId\":\"op-1\",\"messageId\":\"op-m1\",\"traits\":{\"email\":\"op1@example.com\"}}").statusCode(200);
        send(key, "{\"type\":\"track\",\"messageId\":\"op-m2\",\"event\":\"E\",\"properties\":{\"email\":\"op2@example.com\"}}").statusCode(400);
        send(key, "{\"type\":\"page\",\"messageId\":\"op-m3\"}").statusCode(501);

        String after = metrics();
        assertEquals(2, value(after, events("received", "none", "identify")) - value(before, events("received", "none", "identify")));
        assertEquals(1, value(after, events("delivered", "none", "identify")) - value(before, events("delivered", "none", "identify")));
        assertEquals(1, value(after, events("duplicate", "duplicate", "identify")) - value(before, events("duplicate", "duplicate", "identify")));
        assertEquals(1, value(after, events("rejected", "mailmodo_rejected", "track")) - value(before, events("rejected", "mailmodo_rejected", "track")));
        assertEquals(1, value(after, events("dead_lettered", "mailmodo_rejected", "track"))
                - value(before, events("dead_lettered", "mailmodo_rejected", "track")));
        assertEquals(1, value(after, events("rejected", "unsupported_type", "other")) - value(before, events("rejected", "unsupported_type", "other")));
        String addToList = "mailmodo_destination_mailmodo_request_seconds_count{endpoint=\"addToList\",status=\"200\"}";
        assertEquals(1, value(after, addToList) - value(before, addToList));
        String addEvent400 = "mailmodo_destination_mailmodo_request_seconds_count{endpoint=\"addEvent\",status=\"400\"}";
        assertEquals(1, value(after, addEvent400) - value(before, addEvent400));
        assertTrue(after.contains("mailmodo_destination_mailmodo_request_seconds_bucket{endpoint=\"addToList\",status=\"200\",le="),
                "a histogram");
        assertTrue(value(after, "mailmodo_destination_rate_limit_wait_seconds_count") >= 2);
        assertFalse(after.contains(key) || after.contains("@example.com"), "no key or email in a metric");
    }
}
