package destination.mailmodo.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Retry-After as Mailmodo (or a proxy in front of it) may send it. */
class MailmodoResponsesTest {

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {"null,null", "'',null", "7,7", "' 30 ',30", "0,1", "-5,1", "99999,3600", "soon,null"})
    void secondsWhenGiven(String header, Integer expected) {
        assertEquals(expected, MailmodoResponses.mailmodoRetryAfter(header));
    }

    @Test
    void httpDateIsTurnedIntoSeconds() {
        String inTwentySeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now().plusSeconds(20));
        int seconds = MailmodoResponses.mailmodoRetryAfter(inTwentySeconds);
        assertTrue(seconds >= 18 && seconds <= 20, "got " + seconds);
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now().minusSeconds(60));
        assertEquals(1, MailmodoResponses.mailmodoRetryAfter(past));
    }
}
