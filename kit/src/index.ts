export * from '@msk/contract';
