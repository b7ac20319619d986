#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let env = gluelinks_clusters::startup();
    let function = warm::Warm::from_env(&env).await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<_>| {
            let context = event.context.clone();
            let function = &function;
            async move { gluelinks_http::in_invocation(&context, function.handle(event)).await }
        },
    ))
    .await
}
