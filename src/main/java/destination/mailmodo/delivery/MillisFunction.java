package destination.mailmodo.delivery;

import java.time.Duration;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.runtime.configuration.DurationConverter;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.spi.PropertiesFunction;

/**
 * {@code {{millis:mailmodo.timeout}}}: a duration setting (ISO-8601 as documented, or the short forms Quarkus
 * reads everywhere else, such as 500ms) as the milliseconds endpoint URIs take, parsed exactly as the beans
 * parse it. Camel's own time parsing reads "PT1.2S" as 0, i.e. no timeout at all.
 */
@RegisterForReflection
public final class MillisFunction implements PropertiesFunction, CamelContextAware {

    private CamelContext camelContext;

    @Override
    public String getName() {
        return "millis";
    }

    @Override
    public String apply(String settingName) {
        String value = camelContext.getPropertiesComponent().resolveProperty(settingName)
                .orElseThrow(() -> new IllegalArgumentException("setting " + settingName + " is not set"));
        Duration duration;
        try {
            duration = DurationConverter.parseDuration(value.trim());
        } catch (RuntimeException e) {
            duration = null;
        }
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("setting " + settingName + " must be a positive duration such as PT1.2S, got " + value);
        }
        return Long.toString(duration.toMillis());
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }
}
