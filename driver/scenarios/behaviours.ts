// The client behaviours of the scenarios that have one, by kind: what client-process.ts builds from a config.
import type { Behaviour, ProcessScenario } from './behaviour.ts';
import { burstBehaviour } from './burst/client.ts';
import { chatBehaviour } from './chat/client.ts';
import { churnBehaviour } from './churn/client.ts';
import { faultsBehaviour } from './faults/client.ts';
import { slowConsumerBehaviour } from './slow-consumer/client.ts';
import { streamBehaviour } from './stream/client.ts';

/** Creates the behaviour of `scenario`; `clientTotal`: subscribers across every process. */
export function createBehaviour(scenario: ProcessScenario, clientTotal: number): Behaviour {
  switch (scenario.kind) {
    case 'burst':
      return burstBehaviour(scenario, clientTotal);
    case 'stream':
      return streamBehaviour(scenario, clientTotal);
    case 'chat':
      return chatBehaviour(scenario, clientTotal);
    case 'churn':
      return churnBehaviour(scenario, clientTotal);
    case 'slow-consumer':
      return slowConsumerBehaviour(scenario, clientTotal);
    case 'faults':
      return faultsBehaviour(scenario, clientTotal);
  }
}
