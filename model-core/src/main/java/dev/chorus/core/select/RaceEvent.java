package dev.chorus.core.select;

import java.util.List;

/**
 * What a {@link VariantRace} decided, with its evidence. {@code atExample} is the position in the stream (examples
 * consumed, the minibatch that caused the event included) when it was decided.
 */
public sealed interface RaceEvent {

  long atExample();

  /** A rung of the search ended: {@code decision} says who goes on, who retires, and why. */
  record RungDecided(long atExample, Decision decision, String champion) implements RaceEvent {}

  /**
   * The detector of {@code variant} fired after {@code detectorExamples} losses since its start or last firing;
   * {@code meanLoss} is the variant's mean prequential loss over those losses (the evidence beside the firing).
   *
   * @param reaction what was done: {@value DriftSpec#NONE}, {@value DriftSpec#RESET} or {@value DriftSpec#FORK}
   * @param challengers the challengers a fork started; empty otherwise
   * @param note why the spec's reaction was not applied (a fork only starts from the champion, after the search and
   *     when no fork is racing); empty when it was
   */
  record DriftDetected(long atExample, String variant, long detectorExamples, double meanLoss, String reaction,
      List<String> challengers, String note) implements RaceEvent {

    public DriftDetected {
      challengers = List.copyOf(challengers);
    }
  }

  /**
   * {@code champion} replaced {@code previous}: on the {@code pairedExamples} both predicted since the fork, its mean
   * prequential loss was lower; {@code retired} are the old champion and the fork's other challengers.
   */
  record Promoted(long atExample, String previous, String champion, long pairedExamples, double championMeanLoss,
      double challengerMeanLoss, List<String> retired) implements RaceEvent {

    public Promoted {
      retired = List.copyOf(retired);
    }
  }

  /** No challenger of the fork from {@code champion} beat it within the patience; they are retired. */
  record ForkExpired(long atExample, String champion, long pairedExamples, double championMeanLoss,
      List<String> retired) implements RaceEvent {

    public ForkExpired {
      retired = List.copyOf(retired);
    }
  }
}
