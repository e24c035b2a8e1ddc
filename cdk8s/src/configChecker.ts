/** The field checks of the configuration: each failure names the field, the rule and the value it got. */
import {
  DNS_LABEL_PATTERN,
  DNS_SUBDOMAIN_PATTERN,
  IMAGE_REPOSITORY_PATTERN,
  IMAGE_TAG_PATTERN,
} from './platformConfigPatterns';
import type { ContainerResourcesConfig, ImageRef } from './platformConfigTypes';

export interface ConfigProblem {
  /** Path of the field in PlatformConfig, e.g. `images.app.tag`. */
  readonly field: string;
  readonly message: string;
}

export class PlatformConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `The Kubernetes configuration (cdk8s/src/platform.config.ts) has ${problems.length} problem(s):\n` +
        problems.map((p) => `  ${p.field}: ${p.message}`).join('\n'),
    );
    this.name = 'PlatformConfigError';
  }
}

const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);
const DNS_SUBDOMAIN = new RegExp(DNS_SUBDOMAIN_PATTERN);
const IMAGE_REPOSITORY = new RegExp(IMAGE_REPOSITORY_PATTERN);
const IMAGE_TAG = new RegExp(IMAGE_TAG_PATTERN);

/** Collects problems instead of stopping at the first one. */
export class Checker {
  readonly problems: ConfigProblem[] = [];

  fail(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  dnsLabel(field: string, value: string, maxLength = 63): void {
    if (value.length > maxLength || !DNS_LABEL.test(value)) {
      this.fail(
        field,
        `must be a DNS label (lowercase letters, digits and '-', at most ${maxLength} characters), got '${value}'`,
      );
    }
  }

  dnsSubdomain(field: string, value: string): void {
    if (value.length > 253 || !DNS_SUBDOMAIN.test(value) || value.split('.').some((label) => label.length > 63)) {
      this.fail(field, `must be a DNS name (lowercase letters, digits, '-' and '.'), got '${value}'`);
    }
  }

  wholeNumber(field: string, value: number, min: number, max: number, unit = ''): void {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(field, `must be a whole number from ${min} to ${max}${unit}, got ${String(value)}`);
    }
  }

  image(field: string, image: ImageRef): void {
    if (!IMAGE_REPOSITORY.test(image.repository)) {
      this.fail(
        `${field}.repository`,
        `must be an image name without tag or digest, e.g. registry.example.com/team/app, got '${image.repository}'`,
      );
    }
    if (image.tag.toLowerCase() === 'latest') {
      this.fail(`${field}.tag`, 'is latest: pin a version tag (e.g. 0.1.0) so every pod runs the same build');
    } else if (!IMAGE_TAG.test(image.tag)) {
      this.fail(`${field}.tag`, `must be an image tag (letters, digits, '_', '.', '-'), got '${image.tag}'`);
    }
  }

  command(field: string, command: readonly string[]): void {
    if (command.length === 0 || command.some((part) => part === '')) {
      this.fail(field, 'must be a non-empty list of non-empty strings, e.g. ["node", "server.js"]');
    }
  }

  resources(field: string, resources: ContainerResourcesConfig): void {
    const { requests, limits } = resources;
    this.wholeNumber(`${field}.requests.cpuMillis`, requests.cpuMillis, 1, 64_000, ' millicores');
    this.wholeNumber(`${field}.requests.memoryMiB`, requests.memoryMiB, 16, 1_048_576, ' MiB');
    this.wholeNumber(`${field}.limits.cpuMillis`, limits.cpuMillis, 1, 64_000, ' millicores');
    this.wholeNumber(`${field}.limits.memoryMiB`, limits.memoryMiB, 16, 1_048_576, ' MiB');
    if (requests.cpuMillis > limits.cpuMillis) {
      this.fail(
        `${field}.requests.cpuMillis`,
        `is above limits.cpuMillis (${requests.cpuMillis} > ${limits.cpuMillis})`,
      );
    }
    if (requests.memoryMiB > limits.memoryMiB) {
      this.fail(
        `${field}.requests.memoryMiB`,
        `is above limits.memoryMiB (${requests.memoryMiB} > ${limits.memoryMiB})`,
      );
    }
  }

  user(field: string, value: number): void {
    this.wholeNumber(field, value, 1, 2_147_483_647);
  }
}
