package dev.fanout.platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.io.ClassPathResource;

/**
 * Adds {@code fanout-defaults.yml}, the settings every app of the system shares (graceful shutdown, health
 * probes, log format, ...), with the lowest precedence: an app's own application.yml, the environment and the
 * command line all override it. Keeps the three application.yml files down to what is really theirs.
 */
public class PlatformDefaults implements EnvironmentPostProcessor {

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    try {
      new YamlPropertySourceLoader()
          .load("fanout-defaults", new ClassPathResource("fanout-defaults.yml"))
          .forEach(environment.getPropertySources()::addLast);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
