/**
 * The roles each principal of the deployment may hold, and on which kind of IAM resource
 * (project-wide or one topic, subscription, bucket, secret, job). A grant outside this
 * list fails the offline check: widening access is a reviewed change to this file.
 *
 * Principals are Terraform addresses of service accounts, or a name for Google-managed
 * and public principals (see principalOf in check-iam-roles.ts).
 */
export type IamAllowlist = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export const iamAllowlist: IamAllowlist = {
  'google_service_account.api': {
    // Firestore has no per-collection IAM: job documents are read and written project-wide.
    'roles/datastore.user': ['google_project_iam_member'],
    // Publishes job ids to the jobs topic only.
    'roles/pubsub.publisher': ['google_pubsub_topic_iam_member'],
    // Live output: attaches its own subscriptions to the stream topic only.
    'roles/pubsub.subscriber': ['google_pubsub_topic_iam_member'],
    // Live output: makes, reads and deletes its own subscriptions (a custom role whose
    // grant is limited by a condition to the API's subscription prefix).
    '${google_project_iam_custom_role.stream_subscriptions.id}': ['google_project_iam_member'],
    // API keys, once they are mounted from Secret Manager.
    'roles/secretmanager.secretAccessor': ['google_secret_manager_secret_iam_member'],
    // Uploaded batch files (/openai/v1/files): the files bucket only.
    'roles/storage.objectUser': ['google_storage_bucket_iam_member'],
    // The model bucket: config.json and the tokenizer files, to count prompt tokens.
    'roles/storage.objectViewer': ['google_storage_bucket_iam_member'],
    // The launcher (scale_mode job): its custom role (run with overrides, list executions),
    // on the worker job only.
    '${google_project_iam_custom_role.launcher_job.id}': ['google_cloud_run_v2_job_iam_member'],
    // The launcher (scale_mode pool): its custom role (get and update), on the pool only.
    '${google_project_iam_custom_role.launcher_pool.id}': [
      'google_cloud_run_v2_worker_pool_iam_member',
    ],
  },
  'google_service_account.worker': {
    'roles/datastore.user': ['google_project_iam_member'],
    // Pulls the jobs subscription, its dead letters and the webhook deliveries.
    'roles/pubsub.subscriber': ['google_pubsub_subscription_iam_member'],
    // Queues webhook callbacks on the webhook topic.
    'roles/pubsub.publisher': ['google_pubsub_topic_iam_member'],
    // Reads model files from the model bucket only.
    'roles/storage.objectViewer': ['google_storage_bucket_iam_member'],
    // The webhook signing secret, once it is mounted from Secret Manager.
    'roles/secretmanager.secretAccessor': ['google_secret_manager_secret_iam_member'],
  },
  'google_service_account.scheduler': {
    // Starts executions of the worker job, nothing else.
    'roles/run.invoker': ['google_cloud_run_v2_job_iam_member'],
  },
  'pubsub-service-agent': {
    // Dead-lettering: publish to the dead-letter topic, acknowledge on the source subscription.
    'roles/pubsub.publisher': ['google_pubsub_topic_iam_member'],
    'roles/pubsub.subscriber': ['google_pubsub_subscription_iam_member'],
  },
  allUsers: {
    // Only when api_allow_unauthenticated is set: anyone may call the API service.
    'roles/run.invoker': ['google_cloud_run_v2_service_iam_member'],
  },
};
