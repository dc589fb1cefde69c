package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A hub fronting one Mailmodo account: inbound token, configured key, Mailmodo 401 → 503 for the operator. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
@TestProfile(FixedKeyModeTest.FixedKey.class)
class FixedKeyModeTest {

    static final String ACCOUNT_KEY = TestKeys.fresh();
    static final String TOKEN = "inbound-token-test-7f3a9c";

    public static class FixedKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mailmodo.api-key", ACCOUNT_KEY, "destination.inbound-token", TOKEN);
        }
    }

    private static String identify(String userId) {
        return "{\"type\":\"identify\",\"userId\":\"" + userId + "\",\"traits\":{\"email\":\"" + userId + "@example.com\"}}";
    }

    @Test
    void basicUsernameTokenUsesConfiguredKey() {
        given().header("Authorization", Sender.basic(TOKEN)).contentType("application/json").body(identify("fixed-basic"))
                .post(Sender.PATH).then().statusCode(200).body("status", Matchers.equalTo("delivered"));
        var calls = MailmodoRequests.to("/addToList", ACCOUNT_KEY).stream()
                .filter(c -> c.getBodyAsString().contains("fixed-basic")).toList();
        assertEquals(1, calls.size());
    }

    @Test
    void bearerTokenUsesConfiguredKey() {
        given().header("Authorization", "Bearer " + TOKEN).contentType("application/json").body(identify("fixed-bearer"))
                .post(Sender.PATH).then().statusCode(200);
        assertEquals(1, MailmodoRequests.to("/addToList", ACCOUNT_KEY).stream()
                .filter(c -> c.getBodyAsString().contains("fixed-bearer")).count());
    }

    @Test
    void wrongTokenIs401AndTheSendersKeyIsNeverForwarded() {
        String sendersKey = TestKeys.fresh();
        given().header("Authorization", Sender.basic(sendersKey)).contentType("application/json").body(identify("fixed-wrong"))
                .post(Sender.PATH).then().statusCode(401)
                .body("reason", Matchers.equalTo("unauthorized"))
                .body("message", Matchers.equalTo("missing or invalid credential"));
        given().header("Authorization", "Bearer " + TOKEN + "x").contentType("application/json").body(identify("fixed-wrong"))
                .post(Sender.PATH).then().statusCode(401);
        assertEquals(0, MailmodoRequests.all(sendersKey).size());
    }

    @Test
    void missingCredentialDoesNotInviteAKey() {
        given().contentType("application/json").body(identify("fixed-none")).post(Sender.PATH).then().statusCode(401)
                .body("message", Matchers.equalTo("missing or invalid credential"));
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void mailmodoRejectingTheConfiguredKeyIs503(int status) {
        String path = status == 401 ? "/addEvent" : "/addToList";
        // matched on this test's own event only: the account key is shared by every test of the class
        MailmodoStub.server().stubFor(post(urlEqualTo(path)).withHeader("mmApiKey", equalTo(ACCOUNT_KEY))
                .withRequestBody(containing(status == 401 ? "fixed401@" : "fixed-403@")).atPriority(1)
                .willReturn(aResponse().withStatus(status).withBody("{\"message\":\"Invalid API key\"}")));
        String body = status == 401 ? "{\"type\":\"track\",\"event\":\"E\",\"properties\":{\"email\":\"fixed401@example.com\"}}"
                : identify("fixed-403");
        given().header("Authorization", "Bearer " + TOKEN).contentType("application/json")
                .body(body)
                .post(Sender.PATH).then().statusCode(503)
                .header("Retry-After", "2")
                .body("status", Matchers.equalTo("retry"))
                .body("reason", Matchers.equalTo("mailmodo_auth"))
                .body("message", Matchers.equalTo("Mailmodo rejected the destination's configured API key"));
    }
}
