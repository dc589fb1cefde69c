package destination.mailmodo;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import destination.mailmodo.e2e.MailmodoStub;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import org.junit.jupiter.api.Test;

/**
 * The packaged application (the jar here; the native executable when built with -Dnative) in its production
 * profile: identify, track, and rejections that become dead letters. Its log (target/quarkus-it.log) is read by
 * {@link LogHygieneIT}; a restart of the packaged application is {@link RestartIT}, JSON logs {@link JsonLogsIT}.
 */
@QuarkusIntegrationTest
@WithTestResource(PackagedJarIT.FreshDataDir.class)
class PackagedJarIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DATA_DIR_NAME = "packaged-jar-it-data";

    /**
     * A fresh data directory for the packaged application. Mailmodo is the suite's {@link MailmodoStub}: it is
     * registered for every test application, this one included, and tests add per-key stubs to it.
     */
    public static class FreshDataDir implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                return Map.of("destination.data-dir", PackagedApp.emptyDir(DATA_DIR_NAME).toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void stop() {
        }
    }

    private static String key() {
        return "mmkey-test-IT-" + UUID.randomUUID();
    }

    private static List<LoggedRequest> received(String path, String key) {
        return MailmodoStub.server().findAll(WireMock.postRequestedFor(WireMock.urlEqualTo(path)).withHeader("mmApiKey", WireMock.equalTo(key)));
    }

    private static io.restassured.response.ValidatableResponse post(String key, String body) {
        return given().auth().preemptive().basic(key, "").contentType("application/json").body(body)
                .post("/destinations/mailmodo").then();
    }

    @Test
    void identifyThenTrackReachMailmodoMappedRight() throws IOException {
        String key = key();
        post(key, """
                {"type":"identify","userId":"it-user","messageId":"it-identify-1",
                 "traits":{"email":"packaged.user@example.com","firstName":"Pat","plan":"pro"}}""")
                .statusCode(200).body("status", equalTo("delivered")).body("messageId", equalTo("it-identify-1"));
        List<LoggedRequest> upserts = received("/addToList", key);
        assertEquals(1, upserts.size());
        assertEquals(JSON.readTree("""
                {"email":"packaged.user@example.com","listName":"Segment","data":{"first_name":"Pat","name":"Pat","plan":"pro"}}"""),
                JSON.readTree(upserts.get(0).getBodyAsString()));

        post(key, """
                {"type":"track","userId":"it-user","messageId":"it-track-1","event":"Plan Upgraded",
                 "timestamp":"2026-11-29T10:00:00Z","properties":{"plan":"pro","seats":3}}""")
                .statusCode(200).body("status", equalTo("delivered"));
        List<LoggedRequest> events = received("/addEvent", key);
        assertEquals(1, events.size());
        assertEquals(JSON.readTree("""
                {"email":"packaged.user@example.com","event_name":"Plan Upgraded","ts":1795946400,
                 "event_properties":{"plan":"pro","seats":3}}"""), JSON.readTree(events.get(0).getBodyAsString()));
    }

    @Test
    void aRejectionIsAnsweredAndKeptAsADeadLetter() {
        String key = key();
        MailmodoStub.server().stubFor(WireMock.post(WireMock.urlEqualTo("/addToList")).withHeader("mmApiKey", WireMock.equalTo(key))
                .atPriority(1).willReturn(WireMock.aResponse().withStatus(400).withBody("{\"success\":false,\"message\":\"invalid list\"}")));
        post(key, """
                {"type":"identify","userId":"it-refused","messageId":"it-refused-1","traits":{"email":"refused@example.com"}}""")
                .statusCode(400).body("status", equalTo("rejected")).body("reason", equalTo("mailmodo_rejected"));
        post(key, """
                {"type":"track","userId":"it-nobody","messageId":"it-no-email-1","event":"Clicked",
                 "timestamp":"2020-01-01T00:00:00Z"}""")
                .statusCode(400).body("reason", equalTo("unknown_user"));
        assertEquals(1, received("/addToList", key).size());
        assertEquals(0, received("/addEvent", key).size());

        given().auth().preemptive().basic(key, "").get("/destinations/mailmodo/dead-letters").then().statusCode(200)
                .body("deadLetters.messageId", org.hamcrest.Matchers.containsInAnyOrder("it-refused-1", "it-no-email-1"));
    }
}
