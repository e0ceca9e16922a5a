package dev.chorus.core.select;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/**
 * A spec's {@code "warmStart"}: where a new variant's first weights come from, {@code "variant:NAME"} (that
 * variant's latest snapshot, a fork) or {@code "file:PATH"} (a Chorus model file trained offline), and whether the
 * optimizer's state comes along ({@code "carry"}, the default) or starts afresh ({@code "reset"}).
 *
 * @param fromVariant the variant to fork, or {@code null}
 * @param fromFile the model file, or {@code null}; exactly one of the two is set
 */
public record WarmStart(String fromVariant, String fromFile, boolean carryOptimizer) {

  private static final String VARIANT = "variant:";
  private static final String FILE = "file:";
  private static final List<String> OPTIMIZER = List.of("carry", "reset");

  static WarmStart fromJson(SpecReader json) {
    json.requireObject("an object like {\"from\":\"variant:s3\",\"optimizer\":\"carry\"}");
    json.requireKnownKeys(List.of("from", "optimizer"));
    String from = json.string("from");
    String variant = from.startsWith(VARIANT) ? from.substring(VARIANT.length()) : null;
    String file = from.startsWith(FILE) ? from.substring(FILE.length()) : null;
    if ((variant == null || variant.isEmpty()) && (file == null || file.isEmpty())) {
      throw json.error("from", "expected \"variant:NAME\" or \"file:PATH\", got \"" + from + "\"");
    }
    String optimizer = json.has("optimizer") ? json.string("optimizer") : "carry";
    if (!OPTIMIZER.contains(optimizer)) {
      throw json.error("optimizer", "expected one of " + SpecReader.quoted(OPTIMIZER) + ", got \"" + optimizer + "\"");
    }
    return new WarmStart(variant, file, optimizer.equals("carry"));
  }

  void writeJson(ObjectNode json) {
    json.put("from", fromVariant != null ? VARIANT + fromVariant : FILE + fromFile);
    json.put("optimizer", carryOptimizer ? "carry" : "reset");
  }
}
