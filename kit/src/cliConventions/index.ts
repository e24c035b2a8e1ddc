export {
  applyCliConventions,
  CommanderError,
  EXIT_OK,
  EXIT_PROBLEMS,
  EXIT_USAGE,
  UsageError,
  type CliConventions,
} from './conventions';
export { colourEnabled, paint, stdoutPaint, type Paint } from './colour';
