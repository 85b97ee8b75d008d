package dev.fanout.floor;

import java.util.UUID;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code POST /followers} answered the way the facade answers it (202 and a small JSON body), with none of its work:
 * no validation, no event, no publish, no actuator, no access line. What is left is what Spring WebFlux and Reactor
 * Netty cost per request on this machine, the floor under any facade built on them (BENCHMARKS.md, round 13).
 */
@SpringBootApplication
@RestController
public class FloorApplication {

  record Accepted(String eventId) {
  }

  @PostMapping(path = "/followers", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<Accepted>> follow(@RequestBody Mono<byte[]> body) {
    return body.map(ignored ->
        ResponseEntity.status(HttpStatus.ACCEPTED).body(new Accepted(UUID.randomUUID().toString())));
  }

  public static void main(String[] args) {
    SpringApplication.run(FloorApplication.class, args);
  }
}
