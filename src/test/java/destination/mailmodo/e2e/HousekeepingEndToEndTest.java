package destination.mailmodo.e2e;

import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

/** The housekeeping route forgets dedupe keys after destination.dedupe-ttl and dead letters after theirs. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
@TestProfile(HousekeepingEndToEndTest.ShortLived.class)
class HousekeepingEndToEndTest {

    public static class ShortLived implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("destination.dedupe-ttl", "PT3S", "destination.dedupe-lease", "PT1S", "destination.dead-letter-ttl", "PT3S",
                    "destination.housekeeping-interval", "PT0.5S");
        }
    }

    @Test
    void expiredKeysAndDeadLettersArePurged() throws Exception {
        String key = TestKeys.fresh();
        String track = "{\"type\":\"track\",\"messageId\":\"hk-1\",\"event\":\"E\",\"properties\":{\"email\":\"hk@example.com\"}}";
        send(key, track).statusCode(200).body("status", equalTo("delivered"));
        send(key, track).statusCode(200).body("status", equalTo("duplicate"));
        send(key, "{\"type\":\"identify\",\"userId\":\"hk\",\"messageId\":\"hk-2\"}").statusCode(400);
        assertEquals(1, DeadLettersEndToEndTest.list(key, "").getList("deadLetters").size());

        DeadLettersEndToEndTest.eventually(() -> DeadLettersEndToEndTest.list(key, "").getList("deadLetters").isEmpty(),
                "the dead letter outlived destination.dead-letter-ttl and was purged");
        // the key was forgotten too: the same messageId is now a new event
        send(key, track).statusCode(200).body("status", equalTo("delivered"));
        assertEquals(2, MailmodoRequests.to("/addEvent", key).size());
    }
}
